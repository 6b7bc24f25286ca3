import fs from 'node:fs'
import { Command, Option } from 'commander'
import YAML from 'yaml'
import { configFromEnv, loadConfig, type ConfigInput } from '../config.js'
import { startLifeboat } from '../server.js'
import { registerImageCommands } from './images-command.js'
import { registerAgentCommands } from './agent-commands.js'

interface ServeFlags {
  host?: string
  port?: string
  dataDir?: string
  databaseUrl?: string
  publicUrl?: string
  config?: string
  driver?: string
  logLevel?: string
}

function flagsToConfig(flags: ServeFlags): ConfigInput {
  return {
    host: flags.host,
    port: flags.port === undefined ? undefined : Number(flags.port),
    dataDir: flags.dataDir,
    databaseUrl: flags.databaseUrl,
    publicUrl: flags.publicUrl,
    logLevel: flags.logLevel,
    agent: { driver: flags.driver as 'auto' | 'fake' | 'qemu' | undefined },
  }
}

function fileConfig(file: string | undefined): ConfigInput {
  const path = file ?? process.env.LIFEBOAT_CONFIG
  if (!path) return {}
  return (YAML.parse(fs.readFileSync(path, 'utf8')) ?? {}) as ConfigInput
}

async function serve(flags: ServeFlags, embeddedAgent = true): Promise<void> {
  const config = loadConfig(fileConfig(flags.config), configFromEnv(), flagsToConfig(flags))
  const running = await startLifeboat(config, { embeddedAgent, onDriverChosen: (line) => process.stdout.write(`${line}\n`) })
  const out = (line = '') => process.stdout.write(`${line}\n`)
  out()
  out(`Lifeboat is running at ${running.url}`)
  out(`  identity  ${running.url}/identity/v3`)
  out(`  compute   ${running.url}/compute/v2.1`)
  out(`  image     ${running.url}/image/v2`)
  out(`  volume    ${running.url}/volume/v3`)
  out(`  placement ${running.url}/placement`)
  out(`  database  ${running.database.dialect} (${config.databaseUrl.replace(/:[^:@/]*@/, ':***@')})`)
  out()
  if (running.bootstrapped.length > 0) {
    out('First start: created these accounts (passwords are shown only now, and stored only as hashes):')
    for (const a of running.bootstrapped) out(`  ${a.userName.padEnd(6)} project ${a.projectName.padEnd(6)} role ${a.role.padEnd(7)} password ${a.password}`)
    out()
  }
  out(`Clouds file: ${running.cloudsYamlPath} (clouds lifeboat-admin and lifeboat-demo)`)
  out(`  export OS_CLIENT_CONFIG_FILE=${running.cloudsYamlPath}`)
  out('  export OS_CLOUD=lifeboat-admin     # or lifeboat-demo')
  out('  openstack token issue')
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
    cmd
      .addOption(new Option('--host <host>', 'address to listen on (LIFEBOAT_HOST, default 127.0.0.1)'))
      .addOption(new Option('--port <port>', 'port to listen on (LIFEBOAT_PORT, default 8774)'))
      .addOption(new Option('--data-dir <dir>', 'data folder (LIFEBOAT_DATA_DIR, default ./data)'))
      .addOption(new Option('--database-url <url>', 'sqlite:<file> or postgres://… (LIFEBOAT_DATABASE_URL, default SQLite in the data folder)'))
      .addOption(new Option('--public-url <url>', 'base URL clients use (LIFEBOAT_PUBLIC_URL, default http://host:port)'))
      .addOption(new Option('--driver <driver>', 'virt driver of the embedded agent (LIFEBOAT_DRIVER)').choices(['auto', 'fake', 'qemu']))
      .addOption(new Option('--log-level <level>', 'log level (LIFEBOAT_LOG_LEVEL, default info)'))
      .addOption(new Option('--config <file>', 'YAML config file (LIFEBOAT_CONFIG); flags and env override it'))
  serveOptions(program.command('serve', { isDefault: true }).description('run the all-in-one cloud: API, database and one embedded compute agent')).action((flags: ServeFlags) => serve(flags))
  serveOptions(program.command('control').description('run the control plane only (API, scheduler); compute hosts run `lifeboat agent`')).action((flags: ServeFlags) => serve(flags, false))
  registerAgentCommands(program)
  registerImageCommands(program)
  await program.parseAsync(argv)
}
