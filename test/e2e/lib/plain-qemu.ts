import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { buildConfigDrive } from '../../../src/virt/qemu/config-drive.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** A free TCP port on `host` (the kernel's pick; closed again at once). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** What `host:port` answers to an HTTP GET (trimmed), or `error <code>`. */
export async function httpGet(host: string, port: number): Promise<string> {
  try {
    const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(5000) })
    return (await res.text()).trim()
  } catch (error) {
    return `error ${((error as { cause?: { code?: string } }).cause?.code) ?? String(error)}`
  }
}

/** A fresh ed25519 key pair in `dir` (ssh-keygen); returns the private key file and the public key line. */
export async function makeKey(dir: string, name: string): Promise<{ file: string; publicKey: string }> {
  const file = path.join(dir, name)
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file])
  return { file, publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() }
}

/** The MAC of the NIC `startGuest` gives a guest (the network_data.json link matches it). */
export const GUEST_MAC = 'fa:16:3e:00:00:01'

/**
 * A config drive ISO (the project's builder) whose meta_data.json carries
 * `keys` (name → public key) and whose network_data.json, as Nova writes it,
 * says: one NIC with `GUEST_MAC`, IPv4 by DHCP.
 */
export async function keyConfigDrive(file: string, instanceId: string, keys: Record<string, string>): Promise<string> {
  await buildConfigDrive({
    metaData: {
      uuid: instanceId, name: instanceId, hostname: instanceId, launch_index: 0, meta: {}, public_keys: keys,
      keys: Object.entries(keys).map(([name, data]) => ({ name, type: 'ssh', data })),
    },
    userData: null,
    networkData: {
      links: [{ id: 'tap-e2e-port', vif_id: 'e2e-port', type: 'ovs', mtu: 1500, ethernet_mac_address: GUEST_MAC }],
      networks: [{ id: 'network0', type: 'ipv4_dhcp', link: 'tap-e2e-port', network_id: 'e2e-network' }],
      services: [],
    },
  }, file)
  return file
}

/** A QEMU guest started by a test: the process and its serial console file. */
export interface PlainGuest {
  child: ChildProcess
  console: string
  stop: () => void
}

/**
 * Starts QEMU (TCG, pc) with `disks` on virtio (the first one boots), the
 * config drive as an IDE cdrom, and one user-mode NIC (`GUEST_MAC`) whose
 * guest port 22 is forwarded to 127.0.0.1:`sshPort`.
 */
export function startGuest(options: { dir: string; name: string; disks: string[]; configDrive: string; sshPort: number; memoryMb?: number }): PlainGuest {
  const consoleFile = path.join(options.dir, `${options.name}.console.log`)
  const args = ['-accel', 'tcg', '-M', 'pc', '-m', String(options.memoryMb ?? 256), '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none',
    '-serial', `file:${consoleFile}`, '-no-reboot']
  options.disks.forEach((disk, i) => {
    args.push('-drive', `if=none,id=d${i},file=${disk},format=qcow2`, '-device', `virtio-blk-pci,drive=d${i}${i === 0 ? ',bootindex=0' : ''}`)
  })
  args.push('-drive', `if=none,id=cd,file=${options.configDrive},format=raw,readonly=on,media=cdrom`, '-device', 'ide-cd,bus=ide.1,drive=cd')
  args.push('-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${options.sshPort}-:22`, '-device', `virtio-net-pci,netdev=n0,mac=${GUEST_MAC}`)
  const child = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.once('exit', (code) => { if (code) fs.appendFileSync(consoleFile, `\n[qemu exited ${code}: ${stderr}]\n`) })
  return { child, console: consoleFile, stop: () => { if (child.exitCode === null) child.kill('SIGKILL') } }
}

/** Waits until the guest's console matches `pattern`; resolves with the console text. */
export async function waitForGuestConsole(guest: PlainGuest, pattern: RegExp, timeoutMs: number): Promise<string> {
  let text = ''
  return waitUntil(() => {
    text = fs.existsSync(guest.console) ? fs.readFileSync(guest.console, 'utf8') : ''
    if (guest.child.exitCode !== null && !pattern.test(text)) throw new Error(`QEMU exited (${guest.child.exitCode}); console:\n${text}`)
    return pattern.test(text) ? text : undefined
  }, { timeoutMs, intervalMs: 200, what: () => `the console did not show ${pattern} within ${timeoutMs} ms; it shows:\n${text.slice(-4000)}` })
}

/**
 * Runs `command` over SSH as `user` with `key` (no host key checks, no
 * prompts); retried until `timeoutMs` because a server that just started may
 * still refuse the first connection. Resolves with stdout.
 */
export async function sshRun(key: string, port: number, user: string, command: string, timeoutMs = 30_000): Promise<string> {
  const args = ['-i', key, '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', `${user}@127.0.0.1`, command]
  let last = ''
  return waitUntil(async () => {
    try {
      return await run('ssh', args)
    } catch (error) {
      last = String((error as Error).message)
      return undefined
    }
  }, { timeoutMs, intervalMs: 1000, what: () => `ssh ${user}@127.0.0.1:${port} ${command} kept failing: ${last}` })
}

/** Runs a program; resolves with stdout, rejects with its stderr. */
export function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}
