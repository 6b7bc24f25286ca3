import { Command, Option } from 'commander'
import { startLifeboat } from '../server.js'
import { StartupError, redactedDatabaseUrl } from '../startup.js'
import { BackupError } from '../db/backup.js'
import { configFromFlags, dataOptions, type ServeFlags } from './config-flags.js'
import { registerOperatorCommands } from './operator-commands.js'
import { registerImageCommands } from './images-command.js'
import { registerAgentCommands } from './agent-commands.js'
import { registerDiagnoseCommand } from './diagnose-command.js'
import { registerRescueRunCommands } from './rescue-run-command.js'
import { dashboardLine, reachServerLines, tlsLines } from './start-summary.js'

async function serve(flags: ServeFlags, embeddedAgent = true): Promise<void> {
  const config = configFromFlags(flags)
  const running = await startLifeboat(config, { embeddedAgent, onDriverChosen: (line) => process.stdout.write(`${line}\n`) })
  const out = (line = '') => process.stdout.write(`${line}\n`)
  out()
  out(`Lifeboat is running at ${running.url}`)
  out(`  identity  ${running.url}/identity/v3`)
  out(`  compute   ${running.url}/compute/v2.1`)
  out(`  image     ${running.url}/image/v2`)
  out(`  volume    ${running.url}/volume/v3`)
  out(`  placement ${running.url}/placement`)
  out(dashboardLine(running.url))
  out(`  database  ${running.database.dialect} (${redactedDatabaseUrl(config.databaseUrl)})`)
  for (const line of tlsLines(running.tls)) out(line)
  out()
  if (running.bootstrapped.length > 0) {
    out('First start: created these accounts (passwords are shown only now, and stored only as hashes):')
    for (const a of running.bootstrapped) out(`  ${a.userName.padEnd(6)} project ${a.projectName.padEnd(6)} role ${a.role.padEnd(7)} password ${a.password}`)
    out()
  }
  if (running.cloudsYamlExists) {
    out(`Clouds file: ${running.cloudsYamlPath} (clouds lifeboat-admin and lifeboat-demo)`)
    out(`  export OS_CLIENT_CONFIG_FILE=${running.cloudsYamlPath}`)
    out('  export OS_CLOUD=lifeboat-admin     # or lifeboat-demo')
    out('  openstack token issue')
    out()
    for (const line of reachServerLines({ fipPortOffset: config.compute.floatingIpPortOffset })) out(line)
  } else {
    out(`No clouds file at ${running.cloudsYamlPath}: to get the admin account back, run`)
    out(`  lifeboat reset-password admin --data-dir ${config.dataDir}`)
  }
  out()
  const stop = async () => {
    await running.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** The `lifeboat` command. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command()
  program.name('lifeboat').description('A small, fast compute service that speaks the OpenStack APIs.')
  const serveOptions = (cmd: Command) =>
    dataOptions(cmd)
      .addOption(new Option('--host <host>', 'address to listen on (LIFEBOAT_HOST, default 127.0.0.1)'))
      .addOption(new Option('--port <port>', 'port to listen on (LIFEBOAT_PORT, default 8774)'))
      .addOption(new Option('--public-url <url>', 'base URL clients use (LIFEBOAT_PUBLIC_URL, default http://host:port)'))
      .addOption(new Option('--driver <driver>', 'virt driver of the embedded agent (LIFEBOAT_DRIVER)').choices(['auto', 'fake', 'qemu']))
      .addOption(new Option('--log-level <level>', 'log level (LIFEBOAT_LOG_LEVEL, default info)'))
      .addOption(new Option('--tls-cert <file>', 'PEM certificate (chain): every listener serves HTTPS/WSS (LIFEBOAT_TLS_CERT; with --tls-key)'))
      .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert (LIFEBOAT_TLS_KEY)'))
      .addOption(new Option('--tls-ca <file>', 'CA bundle clients trust, written into clouds.yaml as cacert (LIFEBOAT_TLS_CA; default: the certificate when self-signed)'))
  serveOptions(program.command('serve', { isDefault: true }).description('run the all-in-one cloud: API, database and one embedded compute agent')).action((flags: ServeFlags) => serve(flags))
  serveOptions(program.command('control').description('run the control plane only (API, scheduler); compute hosts run `lifeboat agent`')).action((flags: ServeFlags) => serve(flags, false))
  registerAgentCommands(program)
  registerImageCommands(program)
  registerOperatorCommands(program)
  registerDiagnoseCommand(program)
  registerRescueRunCommands(program)
  try {
    await program.parseAsync(argv)
  } catch (error) {
    process.stderr.write(`lifeboat: ${failureLine(error)}\n`)
    // The stack only for whoever asked for detail; an operator gets the one line.
    if (/^(debug|trace)$/.test(process.env.LIFEBOAT_LOG_LEVEL ?? '')) process.stderr.write(`${(error as Error).stack}\n`)
    process.exit(1)
  }
}

/** One line saying why a command failed. */
function failureLine(error: unknown): string {
  if (error instanceof StartupError || error instanceof BackupError) return error.message
  const message = error instanceof Error ? error.message : String(error)
  return `failed: ${message.split('\n')[0]}`
}
