import fs from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { Option, type Command } from 'commander'
import { configFromEnv, loadConfig, type DriverChoice } from '../config.js'
import { migrateToLatest, openDatabase } from '../db/database.js'
import { createServices } from '../services/services.js'
import { seedUpgradedTopology } from '../services/identity/bootstrap.js'
import { startComputeAgent, withBindings } from '../agent/compute-agent.js'
import { createDriver } from '../virt/driver-factory.js'
import { createLogger } from '../logging.js'
import { TlsSetupError, readCaFile } from '../util/tls.js'
import { StartupError } from '../startup.js'

interface AgentFlags {
  controlUrl: string
  host: string
  credentialFile: string
  stateDir: string
  driver?: DriverChoice
  machineType?: 'pc' | 'q35'
  caFile?: string
  hostIp?: string
  insecureHttp?: boolean
}

/** The CA bundle of --ca-file or LIFEBOAT_CA_FILE, read (absent: the system's trust store). */
function agentCa(flags: AgentFlags): string | undefined {
  const file = flags.caFile ?? (process.env.LIFEBOAT_CA_FILE || undefined)
  if (!file) return undefined
  try {
    return readCaFile(path.resolve(file))
  } catch (error) {
    if (error instanceof TlsSetupError) throw new StartupError(error.message)
    throw error
  }
}

/** True for a control URL on this machine (the credential then never leaves it). */
function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || /^127\./.test(url.hostname) || url.hostname === '[::1]'
}

/** Stops the start on a control URL that is not http(s), or plain HTTP off this machine without --insecure-http (a credential never crosses a network in clear). */
function checkControlUrl(flags: AgentFlags): void {
  let url: URL
  try {
    url = new URL(flags.controlUrl)
  } catch {
    throw new StartupError(`--control-url ${flags.controlUrl} is not a URL (e.g. https://10.0.0.1:8774)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StartupError(`--control-url ${flags.controlUrl}: only http:// and https:// are supported`)
  if (url.protocol === 'http:' && !isLoopbackUrl(url)) {
    const insecure = flags.insecureHttp || process.env.LIFEBOAT_INSECURE_HTTP === 'true'
    if (!insecure) {
      throw new StartupError(`Refusing plain-HTTP control URL ${flags.controlUrl}: this host's agent credential would cross the network in clear. Serve the control plane with --tls-cert/--tls-key and give its https:// URL (with --ca-file for a private CA), or pass --insecure-http on a network you trust.`)
    }
    process.stderr.write(`Warning: ${flags.controlUrl} is plain HTTP (--insecure-http): this host's agent credential crosses the network in clear\n`)
  }
}

/** --host-ip or LIFEBOAT_HOST_IP, checked (absent: the control plane takes the address the agent connects from). */
function hostIpOf(flags: AgentFlags): string | undefined {
  const ip = flags.hostIp ?? (process.env.LIFEBOAT_HOST_IP || undefined)
  if (ip !== undefined && (!isIP(ip) || ip === '0.0.0.0' || ip === '::')) throw new StartupError(`--host-ip ${ip} is not an IP address`)
  return ip
}

/**
 * `lifeboat agent`: a remote compute agent. It runs exactly the code the
 * embedded agent runs and talks only to the control plane's agent API.
 * Volumes are files of the volume backend, so agents must see the control
 * plane's data folder at the same path (a shared filesystem).
 */
async function runAgent(flags: AgentFlags): Promise<void> {
  const config = loadConfig(configFromEnv(), { agent: { driver: flags.driver, hostName: flags.host, machineType: flags.machineType } })
  checkControlUrl(flags)
  const hostIp = hostIpOf(flags)
  const credential = fs.readFileSync(flags.credentialFile, 'utf8').trim()
  const ca = agentCa(flags)
  const stateDir = path.resolve(flags.stateDir)
  const log = await createLogger(config.logLevel)
  const { driver, reason } = await createDriver({ ...config.agent, shutdownTimeoutSeconds: config.compute.shutdownTimeoutSeconds }, stateDir, withBindings(log, { component: 'virt-driver' }))
  process.stdout.write(`Compute agent ${flags.host}: ${reason}\n`)
  const agent = await startComputeAgent({ controlUrl: flags.controlUrl, host: flags.host, credential, tls: ca ? { ca } : undefined, hostIp, driver, stateDir, log })
  const stop = async () => {
    await agent.stop()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

/** `lifeboat agent-credential HOST`: creates (or rotates) a host's agent credential and prints it once. */
async function issueCredential(host: string, flags: { dataDir?: string; databaseUrl?: string }): Promise<void> {
  const config = loadConfig(configFromEnv(), { dataDir: flags.dataDir, databaseUrl: flags.databaseUrl })
  const database = openDatabase(config.databaseUrl)
  try {
    await seedUpgradedTopology(database.db, await migrateToLatest(database.db))
    const credential = await createServices(config, database, await createLogger(config.logLevel)).agents.issueCredential(host)
    process.stdout.write(`${credential}\n`)
  } finally {
    await database.close()
  }
}

/** Adds `agent` and `agent-credential` to the `lifeboat` command. */
export function registerAgentCommands(program: Command): void {
  program
    .command('agent')
    .description('run a compute agent for this host against a control plane (one per hypervisor host)')
    .requiredOption('--control-url <url>', 'the control plane, e.g. https://10.0.0.1:8774')
    .requiredOption('--host <name>', 'this host\'s name, as given to agent-credential')
    .requiredOption('--credential-file <file>', 'file holding the credential printed by `lifeboat agent-credential`')
    .option('--state-dir <dir>', 'the agent\'s folder (domains, image cache)', './agent-data')
    .addOption(new Option('--driver <driver>', 'virt driver').choices(['auto', 'fake', 'qemu']))
    .addOption(new Option('--machine-type <type>', 'QEMU machine type').choices(['pc', 'q35']))
    .addOption(new Option('--ca-file <pem>', 'CA bundle that signed an https control plane\'s certificate (LIFEBOAT_CA_FILE; default: the system\'s trust store)'))
    .addOption(new Option('--host-ip <ip>', 'the address other hosts reach this one at (Nova\'s my_ip; LIFEBOAT_HOST_IP; default: the address the control plane sees)'))
    .addOption(new Option('--insecure-http', 'allow a plain http:// control URL off this machine (the agent credential then crosses the network in clear; LIFEBOAT_INSECURE_HTTP=true)'))
    .action(runAgent)
  program
    .command('agent-credential')
    .description('create or rotate the credential of a compute host\'s agent (printed once; only its hash is stored)')
    .argument('<host>', 'the compute host name')
    .option('--data-dir <dir>', 'data folder (LIFEBOAT_DATA_DIR)')
    .option('--database-url <url>', 'database (LIFEBOAT_DATABASE_URL)')
    .action(issueCredential)
}
