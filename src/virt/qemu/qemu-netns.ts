import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import type { Readable } from 'node:stream'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'
import { runCommand } from './run-command.js'

/**
 * The `nat` data plane (LIFEBOAT_GUEST_EGRESS=nat): each QEMU runs in a user,
 * network and mount namespace of its own (`unshare -Urnm`, no root needed),
 * linked to the outside by `slirp4netns --disable-host-loopback`. QEMU's own
 * slirp still serves the guest (DHCP of the port's address, forwards), but
 * what it connects to on the guest's behalf is the namespace's network:
 * slirp's gateway→127.0.0.1 mapping lands on the namespace's loopback, where
 * nothing listens; slirp4netns refuses its own gateway→host-loopback mapping;
 * link-local (169.254.169.254, a provider's metadata service) has a
 * `prohibit` route. Everything else goes out through slirp4netns's NAT.
 * Unix sockets (QMP, serial, VNC) are files and work across namespaces.
 * slirp4netns joins the namespace before QEMU starts in it (the namespace's
 * first process waits for its default route, then becomes QEMU), so what QEMU
 * opens at start over TCP (NBD volumes) finds a network.
 */

/** The network slirp4netns gives the namespace (its default `--cidr`): tap0 is .100, the gateway .2, its DNS .3. */
export const NETNS_CIDR = '10.0.2.0/24'
/** The namespace's own address on tap0: inner forward listeners bind here (never on its loopback). */
export const NETNS_ADDRESS = '10.0.2.100'
/** slirp4netns's DNS forwarder, which reaches the host's resolver even when that is on the host's loopback. */
export const NETNS_DNS = '10.0.2.3'
/** Destinations the namespace refuses (link-local: 169.254.169.254 and the rest of it). */
export const NETNS_PROHIBITED = ['169.254.0.0/16']
/** The tap device slirp4netns creates in the namespace. */
export const NETNS_TAP = 'tap0'
// A large tap MTU makes the namespace hop cheap (as rootless Podman does); the guest's link keeps 1500.
const NETNS_MTU = 65520
const READY_TIMEOUT_MS = 15_000
// How long (in 50 ms polls) the namespace waits for slirp4netns's route before giving up: a little past READY_TIMEOUT_MS.
const ROUTE_WAIT_POLLS = 400
const START_TIMEOUT_MS = 60_000

/**
 * The script `sh -c` runs inside the new namespaces before it becomes the
 * program (`$1` is the resolv.conf to show it, the rest the program): the
 * prohibit routes, then /etc/resolv.conf bind-mounted from a file naming
 * slirp4netns's DNS (the host's may name a loopback resolver the namespace
 * cannot reach). Pure.
 */
export function namespaceScript(): string {
  return [
    ...NETNS_PROHIBITED.map((cidr) => `ip route add prohibit ${cidr}`),
    'if [ -e /etc/resolv.conf ]; then mount --bind "$1" /etc/resolv.conf; fi',
    'shift',
    'exec "$@"',
  ].join(' && ')
}

/**
 * `command` behind a wait for the namespace's default route (slirp4netns,
 * started on this very process, configures tap0 and the route): QEMU's NBD
 * disks connect at start and need it. Exits 97 if it never comes. Pure.
 */
export function afterRoute(command: string[]): string[] {
  const wait = `n=0; until ip -4 route show default | grep -q ${NETNS_TAP}; do n=$((n+1)); [ $n -le ${ROUTE_WAIT_POLLS} ] || exit 97; sleep 0.05; done; exec "$@"`
  return ['sh', '-c', wait, 'lifeboat-netns-route', ...command]
}

/** The `unshare` command line that runs `command` in fresh user, network and mount namespaces (mapped to root inside). Pure. */
export function namespacedCommand(command: string[], resolvConf: string): { file: string; args: string[] } {
  return { file: 'unshare', args: ['--user', '--map-root-user', '--net', '--mount', '--', 'sh', '-c', namespaceScript(), 'lifeboat-netns', resolvConf, ...command] }
}

/** The resolv.conf the namespace sees. */
export function namespaceResolvConf(): string {
  return `# Lifeboat: slirp4netns's DNS forwarder (the guest network's namespace)\nnameserver ${NETNS_DNS}\n`
}

/**
 * slirp4netns's arguments for the namespace of `pid`: the tap configured,
 * the host's loopback refused, an API socket for the forwards, fd 3 as
 * exit fd (one end of a socket pair whose other end QEMU holds: when QEMU
 * exits, slirp4netns does too) and fd 4 to say it is ready. Pure.
 */
export function slirp4netnsArgs(pid: number, apiSocket: string): string[] {
  return ['--configure', `--mtu=${NETNS_MTU}`, '--disable-host-loopback', `--cidr=${NETNS_CIDR}`, '--api-socket', apiSocket, '--exit-fd=3', '--ready-fd=4', String(pid), NETNS_TAP]
}

/**
 * Whether this host can run the `nat` data plane: null when it can, else why
 * not (the caller falls back to `isolated` and says so). Tries the very
 * namespaces and commands a start uses.
 */
export async function probeNamespaces(scratchDir: string): Promise<string | null> {
  try {
    await runCommand('slirp4netns', ['--version'], { timeoutMs: 10_000 })
  } catch {
    return 'slirp4netns is not installed (apt-get install slirp4netns)'
  }
  try {
    fs.mkdirSync(scratchDir, { recursive: true })
    const resolvConf = `${scratchDir}/probe-resolv.conf`
    fs.writeFileSync(resolvConf, namespaceResolvConf())
    const { file, args } = namespacedCommand(['true'], resolvConf)
    await runCommand(file, args, { timeoutMs: 10_000 })
  } catch (error) {
    return `QEMU cannot get a network namespace of its own (unprivileged user namespaces, iproute2 and mount are needed): ${error instanceof Error ? error.message : String(error)}`
  }
  return null
}

function collect(stream: Readable | null): () => string {
  let text = ''
  stream?.setEncoding('utf8').on('data', (chunk: string) => { text += chunk })
  return () => text
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })
}

/**
 * Starts daemonizing QEMU (`qemu` and `args`) in its own namespaces with
 * their network already up, and resolves with QEMU's pid. The namespaces'
 * first process (`unshare` exec's `sh`, one pid) waits for the default route;
 * slirp4netns joins it by that pid, and once it is ready the script becomes
 * QEMU, which daemonizes. That process inherits one end of a socket pair as
 * fd 3 and QEMU keeps it for life; slirp4netns gets the other as its exit fd.
 */
export async function startQemuInNamespace(qemu: string, args: string[], paths: { pidFile: string; netSocket: string; netLog: string; resolvConf: string }, readPid: () => number | null): Promise<number> {
  fs.writeFileSync(paths.resolvConf, namespaceResolvConf())
  fs.rmSync(paths.netSocket, { force: true })
  const { file, args: unshareArgs } = namespacedCommand(afterRoute([qemu, ...args]), paths.resolvConf)
  const launcher = spawn(file, unshareArgs, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] })
  const stderr = collect(launcher.stderr)
  collect(launcher.stdout)
  const link = launcher.stdio[3] as NodeJS.ReadableStream & { destroy(): void }
  const timer = setTimeout(() => launcher.kill('SIGKILL'), START_TIMEOUT_MS)
  // QEMU's parent exits once the guest is set up; the daemon keeps the socket pair (so 'close' would wait for the guest).
  const launched = exited(launcher)
  launched.catch(() => undefined)
  try {
    if (launcher.pid === undefined) await launched
    try {
      await startSlirp4netns(launcher.pid!, link, paths)
    } catch (error) {
      launcher.kill('SIGKILL')
      throw error
    }
    const code = await launched
    if (code !== 0) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      throw new DriverError(`QEMU did not start in its network namespace: ${stderr().trim().split('\n').slice(-5).join(' | ') || `exit ${code}`}`, { code: DriverErrorCode.QEMU_START_FAILED })
    }
    const pid = readPid()
    if (pid === null) throw new DriverError('QEMU started but wrote no pidfile', { code: DriverErrorCode.QEMU_START_FAILED })
    return pid
  } finally {
    clearTimeout(timer)
    link.destroy()
  }
}

async function startSlirp4netns(pid: number, exitLink: NodeJS.ReadableStream, paths: { netSocket: string; netLog: string }): Promise<void> {
  const log = fs.openSync(paths.netLog, 'a')
  let child: ChildProcess
  try {
    child = spawn('slirp4netns', slirp4netnsArgs(pid, paths.netSocket), { detached: true, stdio: ['ignore', log, log, exitLink as unknown as import('node:net').Socket, 'pipe'] })
  } finally {
    fs.closeSync(log)
  }
  const ready = child.stdio[4] as Readable
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(failed('was not ready in time')), READY_TIMEOUT_MS)
      const done = (error?: Error) => {
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      }
      ready.once('data', () => done())
      child.once('error', (error) => done(failed(`could not start: ${error.message}`)))
      child.once('exit', (code) => done(failed(`exited with ${code}`)))
    })
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  } finally {
    ready.destroy()
  }
  child.removeAllListeners('exit')
  child.unref()

  function failed(why: string): DriverError {
    const tail = fs.existsSync(paths.netLog) ? fs.readFileSync(paths.netLog, 'utf8').trim().split('\n').slice(-3).join(' | ') : ''
    return new DriverError(`slirp4netns for QEMU ${pid} ${why}${tail ? `: ${tail}` : ''}`, { code: DriverErrorCode.QEMU_START_FAILED })
  }
}
