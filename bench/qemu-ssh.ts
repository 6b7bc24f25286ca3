import { execFile } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startBenchCloud } from './lib/cloud.js'
import type { BenchClient } from './lib/http.js'
import { latencyLine, note, section } from './lib/report.js'
import { serverAction, waitForStatus } from './lib/servers.js'
import { ms, now } from './lib/stats.js'
import { qemuSkipReason } from './qemu-rescue.js'
import { waitUntil } from '../test/helpers/wait-until.js'

const CYCLES = Number(process.env.LIFEBOAT_BENCH_QEMU_CYCLES ?? 3)
const BOOT_TIMEOUT_MS = 180_000
// Not the default 10000: other clouds on this host may forward the same floating IPs.
const OFFSET = 30_000 + Math.floor(Math.random() * 30_000)

/** Resolves with the SSH server's banner line at host:port, or undefined when nothing answers (refused, closed, silent for 1 s). */
function banner(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    let text = ''
    const done = (value: string | undefined) => { socket.destroy(); resolve(value) }
    socket.setTimeout(1000, () => done(undefined))
    socket.on('error', () => done(undefined))
    socket.on('close', () => done(undefined))
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1')
      if (text.includes('\n')) done(text.split('\n')[0]!.trim())
    })
  })
}

/** Runs `ssh` once (no retries); resolves with stdout, or null when it failed. */
function sshOnce(key: string, host: string, port: number, command: string): Promise<string | null> {
  const args = ['-i', key, '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR', `root@${host}`, command]
  return new Promise((resolve) => execFile('ssh', args, { timeout: 20_000, encoding: 'utf8' }, (error, stdout) => resolve(error ? null : stdout)))
}

async function uploadFile(admin: BenchClient, name: string, file: string, properties: Record<string, string> = {}): Promise<string> {
  const created = await admin.expect(201, 'POST', '/image/v2/images', { body: { name, disk_format: 'qcow2', container_format: 'bare', visibility: 'public', ...properties } })
  await admin.expect(204, 'PUT', `/image/v2/images/${created.body.id}/file`, { rawBody: fs.readFileSync(file) })
  return created.body.id as string
}

/**
 * Issue 13: floating IP associate (PUT /v2.0/floatingips) → the guest's SSH
 * banner through it (goal ≤ 100 ms median), and rescue POST with
 * `lifeboat:key_name` → `ssh` with that key answers from the rescue system
 * (printed, no goal). QEMU, TCG, the test guest and rescue images.
 */
export async function runQemuSshBench(): Promise<void> {
  section('QEMU SSH through a floating IP (issue 13) — real guest, user-mode NIC, through the API')
  const skip = await qemuSkipReason()
  if (skip) {
    note(`skipped: ${skip}`)
    return
  }
  const { buildImages } = await import('../src/virt/qemu/guest-image/build-images.js')
  const images = await buildImages()
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-bench-ssh-'))
  const cloud = await startBenchCloud({ agent: { driver: 'qemu' }, compute: { shutdownTimeoutSeconds: 30, floatingIpPortOffset: OFFSET } })
  const sshPort = 22 + OFFSET
  try {
    const { admin, demo } = cloud
    const keyFile = path.join(keyDir, 'k2')
    await new Promise<void>((resolve, reject) => execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile], (e) => (e ? reject(e) : resolve())))
    await demo.expect(200, 'POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'k2', public_key: fs.readFileSync(`${keyFile}.pub`, 'utf8').trim() } } })
    const guestImage = await uploadFile(admin, 'bench-guest', images.guest)
    const rescueImage = await uploadFile(admin, 'bench-rescue', images.rescueDisk, { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
    const nets = (await demo.expect(200, 'GET', '/network/v2.0/networks')).body.networks as { id: string; name: string }[]
    const group = (await demo.expect(200, 'GET', '/network/v2.0/security-groups?name=default')).body.security_groups[0].id
    await demo.expect(201, 'POST', '/network/v2.0/security-group-rules', {
      body: { security_group_rule: { security_group_id: group, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } },
    })
    const created = await demo.expect(202, 'POST', '/compute/v2.1/servers', {
      body: { server: { name: 'bench-ssh', imageRef: guestImage, flavorRef: '42', networks: [{ uuid: nets.find((n) => n.name === 'private')!.id }] } },
    })
    const id = created.body.server.id as string
    const activeAt = await waitForStatus(demo, id, 'ACTIVE', 20, BOOT_TIMEOUT_MS)
    const port = (await demo.expect(200, 'GET', `/network/v2.0/ports?device_id=${id}`)).body.ports[0].id as string
    const fip = (await demo.expect(201, 'POST', '/network/v2.0/floatingips', { body: { floatingip: { floating_network_id: nets.find((n) => n.name === 'public')!.id } } })).body.floatingip
    const address = fip.floating_ip_address as string
    // Let the guest's SSH server come up first (associate, wait for the banner, disassociate): the cycles then time the forward alone.
    await demo.expect(200, 'PUT', `/network/v2.0/floatingips/${fip.id}`, { body: { floatingip: { port_id: port } } })
    const first = await waitUntil(() => banner(address, sshPort), { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 200, what: 'the guest\'s SSH banner through the floating IP' })
    note(`guest's SSH server answered ${JSON.stringify(first)} ${ms(now() - activeAt)} after the API said ACTIVE; floating IP ${address}, host port ${sshPort}`)

    const associate: number[] = []
    for (let i = 0; i < CYCLES * 3; i++) {
      await demo.expect(200, 'PUT', `/network/v2.0/floatingips/${fip.id}`, { body: { floatingip: { port_id: null } } })
      await waitUntil(async () => (await banner(address, sshPort)) === undefined, { timeoutMs: 30_000, intervalMs: 20, what: 'the forward to go' })
      const start = now()
      await demo.expect(200, 'PUT', `/network/v2.0/floatingips/${fip.id}`, { body: { floatingip: { port_id: port } } })
      await waitUntil(() => banner(address, sshPort), { timeoutMs: 30_000, intervalMs: 5, what: 'the SSH banner after associate' })
      associate.push(now() - start)
    }
    latencyLine('floating IP associate → SSH banner', associate, [{ figure: 'median', atMost: 100 }])

    const rescue: number[] = []
    for (let i = 0; i < CYCLES; i++) {
      const start = now()
      await serverAction(demo, id, { rescue: { rescue_image_ref: rescueImage, 'lifeboat:key_name': 'k2' } }, 200)
      await waitUntil(async () => (await sshOnce(keyFile, address, sshPort, 'cat /run/lifeboat-role'))?.trim() === 'rescue' || undefined,
        { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 100, what: 'ssh into the rescue system' })
      rescue.push(now() - start)
      await waitForStatus(demo, id, 'RESCUE', 20, BOOT_TIMEOUT_MS)
      await serverAction(demo, id, { unrescue: null }, 202)
      await waitForStatus(demo, id, 'ACTIVE', 20, BOOT_TIMEOUT_MS)
    }
    latencyLine('rescue POST → ssh into the rescue system', rescue)
    note('(TCG; the rescue figure is mostly the guest\'s shutdown and the rescue image\'s boot: see the qemu section for the split)')
    await demo.expect(204, 'DELETE', `/compute/v2.1/servers/${id}`)
  } finally {
    await cloud.close(async () => {
      const stateDir = path.join(cloud.dataDir, 'agent', 'qemu')
      if (!fs.existsSync(stateDir)) return
      const { QemuDriver } = await import('../src/virt/qemu/qemu-driver.js')
      const driver = new QemuDriver({ stateDir, machineType: 'pc' })
      for (const domain of await driver.listDomains()) await driver.destroy(domain.instanceId).catch(() => undefined)
    })
    fs.rmSync(keyDir, { recursive: true, force: true })
  }
}
