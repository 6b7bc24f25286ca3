import fs from 'node:fs'
import path from 'node:path'
import { Option, type Command } from 'commander'
import YAML from 'yaml'
import type { LifeboatConfig } from '../config.js'
import { isPostgresUrl, sqlitePath } from '../db/database.js'
import { backupSqlite, restoreSqlite, verifyLifeboatDatabase } from '../db/backup.js'
import { openMigratedDatabase } from '../server.js'
import { StartupError, checkDataDir, cloudsYamlPathOf, runningLifeboatPid, writeCloudsYaml } from '../startup.js'
import { createServices } from '../services/services.js'
import { createLogger } from '../logging.js'
import { DEFAULT_DOMAIN_ID } from '../services/identity/directory.js'
import { generatePassword } from '../services/identity/passwords.js'
import { configFromFlags, dataOptions, type ServeFlags } from './config-flags.js'

const out = (line = '') => process.stdout.write(`${line}\n`)

type CloudsDoc = { clouds?: Record<string, { auth?: Record<string, string> }> }

/** The auth URL clouds.yaml already names, or the one the configuration implies. */
function authUrlFor(file: string, config: LifeboatConfig): string {
  if (fs.existsSync(file)) {
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as CloudsDoc | null
    const named = Object.values(doc?.clouds ?? {}).map((c) => c.auth?.auth_url).find((url) => url)
    if (named) return named
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  return `${config.publicUrl || `${config.tlsCert ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.port}`}/identity`
}

/**
 * `lifeboat reset-password USER`: a new password (generated, or --password)
 * stored as a hash, the user's tokens revoked, the user's cloud in clouds.yaml
 * rewritten; the password is printed once. Works while Lifeboat runs.
 */
async function resetPassword(userName: string, flags: ServeFlags & { password?: string; project?: string }): Promise<void> {
  const config = configFromFlags(flags)
  checkDataDir(config.dataDir)
  const database = await openMigratedDatabase(config.databaseUrl)
  try {
    const { directory } = createServices(config, database, await createLogger(config.logLevel, false))
    const user = (await directory.listUsers({ name: userName, domainId: DEFAULT_DOMAIN_ID }))[0]
    if (!user) throw new StartupError(`there is no user ${userName} in domain Default`)
    const projectId = flags.project ?? user.default_project_id
    const project = projectId ? (await directory.listProjects({ ids: [projectId] }))[0] ?? (await directory.listProjects({ name: projectId, domainId: DEFAULT_DOMAIN_ID }))[0] : undefined
    if (!project) throw new StartupError(`user ${userName} has no default project; name one with --project`)
    const password = flags.password ?? generatePassword()
    await directory.updateUser(user.id, { password })
    const file = cloudsYamlPathOf(config.dataDir)
    writeCloudsYaml(file, authUrlFor(file, config), config.region, [{ userName, projectName: project.name, role: '', password }])
    out(`New password of ${userName}${flags.password === undefined ? `: ${password}` : ' set as given'} (shown only now; stored only as a hash; the user's tokens are revoked)`)
    out(`Clouds file: ${file} (cloud lifeboat-${userName}, project ${project.name})`)
  } finally {
    await database.close()
  }
}

/** The SQLite file of the configuration, or a StartupError saying what to use for PostgreSQL. */
function sqliteFileOf(config: LifeboatConfig, postgresTool: string): string {
  if (isPostgresUrl(config.databaseUrl)) {
    throw new StartupError(`the database is PostgreSQL: use ${postgresTool} (see docs/operating.md); this command copies SQLite databases`)
  }
  return path.resolve(sqlitePath(config.databaseUrl))
}

/** `lifeboat backup FILE`: a consistent copy of the live SQLite database. */
async function backup(file: string, flags: ServeFlags): Promise<void> {
  const config = configFromFlags(flags)
  const source = sqliteFileOf(config, 'pg_dump')
  const target = path.resolve(file)
  const { bytes } = await backupSqlite(source, target)
  const { migrations } = verifyLifeboatDatabase(target)
  out(`Backed up ${source} to ${target} (${bytes} bytes, ${migrations} migrations)`)
  out(`Image and volume files stay in ${config.dataDir}: copy its images/ and volumes/ folders too (see docs/operating.md)`)
}

/** `lifeboat restore FILE`: puts a backup in place of the database; refuses while Lifeboat runs. */
async function restore(file: string, flags: ServeFlags): Promise<void> {
  const config = configFromFlags(flags)
  const target = sqliteFileOf(config, 'pg_restore or psql')
  const source = path.resolve(file)
  verifyLifeboatDatabase(source)
  const pid = runningLifeboatPid(config.dataDir)
  if (pid !== null) throw new StartupError(`Lifeboat (pid ${pid}) is running on ${config.dataDir}; stop it before restoring`)
  const { previous } = restoreSqlite(source, target)
  out(`Restored ${target} from ${source}`)
  if (previous) out(`The database it replaced is kept as ${previous}`)
  out('Accounts and passwords are now those of the backup; if clouds.yaml no longer logs in, run `lifeboat reset-password USER`')
}

/** Adds `reset-password`, `backup` and `restore` to the `lifeboat` command. */
export function registerOperatorCommands(program: Command): void {
  dataOptions(program.command('reset-password')
    .description("give a user a new password (printed once) and rewrite the user's cloud in clouds.yaml")
    .argument('<user>', 'user name in domain Default, e.g. admin')
    .addOption(new Option('--password <password>', 'the new password (default: a generated one)'))
    .addOption(new Option('--project <project>', "project of the user's cloud in clouds.yaml (default: the user's default project)"))
    .addOption(new Option('--public-url <url>', 'base URL for clouds.yaml when it does not exist yet (LIFEBOAT_PUBLIC_URL)'))
    .addOption(new Option('--port <port>', 'port for that URL (LIFEBOAT_PORT)')))
    .action(resetPassword)
  dataOptions(program.command('backup')
    .description('copy the SQLite database to FILE, consistently, while Lifeboat runs (PostgreSQL: pg_dump)')
    .argument('<file>', 'the backup file to write'))
    .action(backup)
  dataOptions(program.command('restore')
    .description('put a backup made by `lifeboat backup` back in place (Lifeboat must be stopped)')
    .argument('<file>', 'the backup file'))
    .action(restore)
}
