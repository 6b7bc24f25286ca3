import fs from 'node:fs'
import path from 'node:path'
import { Option, type Command } from 'commander'
import { configFromEnv, loadConfig, type DriverChoice } from '../config.js'
import { migrateToLatest, openDatabase } from '../db/database.js'
import { createServices } from '../services/services.js'
import { seedUpgradedTopology } from '../services/identity/bootstrap.js'
import { startComputeAgent, withBindings } from '../agent/compute-agent.js'
import { createDriver } from '../virt/driver-factory.js'
import { createLogger } from '../logging.js'

interface AgentFlags {
  controlUrl: string
  host: string
  credentialFile: string
  stateDir: string
  driver?: DriverChoice
  machineType?: 'pc' | 'q35'
}

/**
 * `lifeboat agent`: a remote compute agent. It runs exactly the code the
 * embedded agent runs and talks only to the control plane's agent API.
 * Volumes are files of the volume backend, so agents must see the control
 * plane's data folder at the same path (a shared filesystem).
 */
async function runAgent(flags: AgentFlags): Promise<void> {
  const config = loadConfig(configFromEnv(), { agent: { driver: flags.driver, hostName: flags.host, machineType: flags.machineType } })
  const credential = fs.readFileSync(flags.credentialFile, 'utf8').trim()
  const stateDir = path.resolve(flags.stateDir)
  const log = await createLogger(config.logLevel)
  const { driver, reason } = await createDriver({ ...config.agent, shutdownTimeoutSeconds: config.compute.shutdownTimeoutSeconds }, stateDir, withBindings(log, { component: 'virt-driver' }))
  process.stdout.write(`Compute agent ${flags.host}: ${reason}\n`)
  const agent = await startComputeAgent({ controlUrl: flags.controlUrl, host: flags.host, credential, driver, stateDir, log })
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
    .requiredOption('--control-url <url>', 'the control plane, e.g. http://10.0.0.1:8774')
    .requiredOption('--host <name>', 'this host\'s name, as given to agent-credential')
    .requiredOption('--credential-file <file>', 'file holding the credential printed by `lifeboat agent-credential`')
    .option('--state-dir <dir>', 'the agent\'s folder (domains, image cache)', './agent-data')
    .addOption(new Option('--driver <driver>', 'virt driver').choices(['auto', 'fake', 'qemu']))
    .addOption(new Option('--machine-type <type>', 'QEMU machine type').choices(['pc', 'q35']))
    .action(runAgent)
  program
    .command('agent-credential')
    .description('create or rotate the credential of a compute host\'s agent (printed once; only its hash is stored)')
    .argument('<host>', 'the compute host name')
    .option('--data-dir <dir>', 'data folder (LIFEBOAT_DATA_DIR)')
    .option('--database-url <url>', 'database (LIFEBOAT_DATABASE_URL)')
    .action(issueCredential)
}
