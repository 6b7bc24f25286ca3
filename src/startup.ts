import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import type { LifeboatConfig } from './config.js'
import type { BootstrapAccount } from './services/identity/bootstrap.js'

/**
 * A start (or operator command) failure the operator can act on: its message
 * is one line, printed as is, without a stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}

/** A database URL with its password hidden, for messages. */
export function redactedDatabaseUrl(url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@')
}

/**
 * Creates the data folder when missing and proves it writable by writing a
 * file there (permissions alone say nothing for root or a read-only mount).
 */
export function checkDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true })
  } catch (error) {
    throw new StartupError(`cannot create the data folder ${dir}: ${(error as Error).message}`)
  }
  if (!fs.statSync(dir).isDirectory()) throw new StartupError(`the data folder ${dir} is not a folder`)
  const probe = path.join(dir, `.write-check-${process.pid}`)
  try {
    fs.writeFileSync(probe, '')
    fs.rmSync(probe)
  } catch (error) {
    throw new StartupError(`the data folder ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); fix its owner or permissions, or choose another with --data-dir`)
  }
}

/** The one line that explains a failed listen, or null for any other error. */
export function listenFailure(error: unknown, config: Pick<LifeboatConfig, 'host' | 'port'>): StartupError | null {
  const where = `${config.host}:${config.port}`
  switch ((error as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE': return new StartupError(`port ${config.port} on ${config.host} is already in use (another Lifeboat?); stop it, or choose another port with --port or LIFEBOAT_PORT`)
    case 'EACCES': return new StartupError(`no permission to listen on ${where}; choose a port above 1023 with --port or LIFEBOAT_PORT`)
    case 'EADDRNOTAVAIL': return new StartupError(`cannot listen on ${where}: ${config.host} is not an address of this machine; choose another with --host`)
    default: return null
  }
}

/** The one line that explains a failed listen of the console proxy, or null for any other error. */
export function consoleListenFailure(error: unknown, config: Pick<LifeboatConfig, 'host' | 'consolePort'>): StartupError | null {
  const where = `${config.host}:${config.consolePort}`
  switch ((error as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE': return new StartupError(`the console proxy's port ${config.consolePort} on ${config.host} is already in use (another Lifeboat, or a nova-novncproxy?); stop it, or choose another port with LIFEBOAT_CONSOLE_PORT (0 picks a free one)`)
    case 'EACCES': return new StartupError(`no permission to listen on ${where} (the console proxy); choose a port above 1023 with LIFEBOAT_CONSOLE_PORT`)
    case 'EADDRNOTAVAIL': return new StartupError(`cannot listen on ${where}: ${config.host} is not an address of this machine; choose another with --host`)
    default: return null
  }
}

/** The bootstrap clouds file inside a data folder. */
export function cloudsYamlPathOf(dataDir: string): string {
  return path.join(dataDir, 'clouds.yaml')
}

type CloudsDoc = { clouds: Record<string, { auth?: Record<string, string> } & Record<string, unknown>> }

/** Writes `text` to `file` (mode 0600) all at once: a temporary file renamed over it. */
function writeFileAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const temp = `${file}.tmp-${process.pid}`
  try {
    fs.writeFileSync(temp, text, { mode: 0o600 })
    fs.chmodSync(temp, 0o600)
    fs.renameSync(temp, file)
  } catch (error) {
    fs.rmSync(temp, { force: true })
    throw error
  }
}

/**
 * Writes or refreshes `clouds.yaml` (mode 0600, replaced in one rename): one
 * cloud `lifeboat-<user>` per account given, every cloud's auth_url set.
 */
export function writeCloudsYaml(file: string, authUrl: string, region: string, accounts: BootstrapAccount[]): void {
  let doc: CloudsDoc = { clouds: {} }
  if (fs.existsSync(file)) doc = (YAML.parse(fs.readFileSync(file, 'utf8')) as CloudsDoc | null) ?? { clouds: {} }
  doc.clouds ??= {}
  for (const account of accounts) {
    doc.clouds[`lifeboat-${account.userName}`] = {
      auth: {
        auth_url: authUrl, username: account.userName, password: account.password, project_name: account.projectName,
        user_domain_name: 'Default', project_domain_name: 'Default',
      },
      region_name: region,
      interface: 'public',
      identity_api_version: 3,
    }
  }
  for (const cloud of Object.values(doc.clouds)) if (cloud.auth) cloud.auth.auth_url = authUrl
  writeFileAtomically(file, YAML.stringify(doc))
}

/** The file that says a Lifeboat process serves this data folder (removed when it stops). */
export function pidFileOf(dataDir: string): string {
  return path.join(dataDir, 'lifeboat.pid')
}

/** The pid of a live Lifeboat serving `dataDir`, or null (no pid file, or its process is gone). */
export function runningLifeboatPid(dataDir: string): number | null {
  let pid: number
  try {
    pid = Number(fs.readFileSync(pidFileOf(dataDir), 'utf8').trim())
  } catch {
    return null
  }
  if (!Number.isInteger(pid) || pid <= 0) return null
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null
  }
  // After a kill -9 the pid may have gone to an unrelated process: on Linux, ask what it runs.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    if (!/node|lifeboat/.test(cmdline)) return null
  } catch {
    // No /proc (or no access): the live pid is all we know.
  }
  return pid
}
