import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { DriverError, type IncomingMigration, type InstanceSpec, type LiveMigrationStats, type RescueSpec } from '../virt-driver.js'
import type { QemuHost } from './qemu-host.js'
import { formatsOf } from './qemu-host.js'
import { deviceIds } from './qemu-command-line.js'
import { runningPid } from './qemu-process.js'
import { withQmp, type QmpClient } from './qmp-client.js'
import { DriverErrorCode } from '../error-codes.js'
import { closeRelays, relaySocketPath, startRelay, type StreamRelay } from './stream-relay.js'
import { copyRootBacking, dropRescuedRootNodes, exportRescuedRoot, mirroredDisks, rescuedIncomingDomain } from './qemu-rescued-migration.js'

const READY_TIMEOUT_MS = 10 * 60_000
const MIGRATE_TIMEOUT_MS = 10 * 60_000
const POLL_MS = 100

// A destination's relays (TCP on its host_ip → QEMU's unix sockets) live from prepare to finish or abort: two tasks apart.
const incomingRelays = new WeakMap<QemuHost, Map<string, StreamRelay[]>>()

function relaysOf(host: QemuHost): Map<string, StreamRelay[]> {
  let relays = incomingRelays.get(host)
  if (!relays) incomingRelays.set(host, relays = new Map())
  return relays
}

async function closeIncomingRelays(host: QemuHost, instanceId: string): Promise<void> {
  const relays = relaysOf(host)
  const mine = relays.get(instanceId) ?? []
  relays.delete(instanceId)
  await closeRelays(mine)
}

/** A TCP port free on `host` now (the kernel's choice), for QEMU to listen on a moment later. */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function failed(message: string, cause?: unknown): DriverError {
  return new DriverError(message, { code: DriverErrorCode.LIVE_MIGRATION_FAILED, cause })
}

/**
 * The destination's side, first step (libvirt's "prepare"): the local disks
 * are created as on a spawn (overlays over this host's base image), QEMU
 * starts with the spec's device model, paused with `-incoming defer`, and
 * serves every local disk writable over NBD (`nbd-server-start` +
 * `nbd-server-add`) for the source's mirrors; then it listens for the RAM.
 * QEMU listens on unix sockets (files: they reach into the network namespace
 * of a `nat` guest, where no host address exists); the agent listens on
 * `listenHost` and pipes each connection to them (`stream-relay.ts`).
 * With `rescue`, the domain is the rescue layout (`qemu-rescued-migration.ts`).
 */
export async function prepareIncoming(host: QemuHost, spec: InstanceSpec, listenHost: string, rescue?: RescueSpec): Promise<IncomingMigration> {
  const paths = host.store.prepare(spec.instanceId)
  if (runningPid(paths) !== null) throw failed(`domain ${spec.instanceId} already runs on the destination`)
  // A stopped domain of this server left here (a source keeps its stopped domain after migrating out): its disks and
  // console log are of an earlier life; the mirrors must write into fresh overlays, as `sync: top` copies only the top.
  host.store.remove(spec.instanceId)
  host.store.prepare(spec.instanceId)
  await host.prepareDisks(spec, paths)
  const { layout, files, record } = rescue ? await rescuedIncomingDomain(host, rescue, paths) : normalIncomingDomain(host, spec, paths)
  host.store.save(record)
  await host.start(record, layout, formatsOf(files), 'defer')
  await host.waitForMonitor(paths)
  const nbdSocket = relaySocketPath(paths.dir, 'incoming-nbd')
  const ramSocket = relaySocketPath(paths.dir, 'incoming-ram')
  for (const socket of [nbdSocket, ramSocket]) fs.mkdirSync(path.dirname(socket), { recursive: true })
  const exports: Record<string, string> = {}
  await closeIncomingRelays(host, spec.instanceId)
  const relays: StreamRelay[] = []
  try {
    await withQmp(paths.qmpSocket, async (qmp) => {
      await qmp.execute('nbd-server-start', { addr: { type: 'unix', data: { path: nbdSocket } } })
      for (const disk of mirroredDisks(spec, record.rescue)) {
        if (disk.exportKey !== disk.name) continue
        const drive = deviceIds(disk.name).drive
        await qmp.execute('nbd-server-add', { device: drive, writable: true })
        exports[disk.name] = drive
      }
      if (record.rescue?.rootOverlay) Object.assign(exports, await exportRescuedRoot(qmp, spec, record.rescue.rootOverlay))
      await qmp.execute('migrate-incoming', { uri: `unix:${ramSocket}` })
    })
    relays.push(await startRelay({ host: listenHost, port: 0 }, { path: nbdSocket }))
    relays.push(await startRelay({ host: listenHost, port: 0 }, { path: ramSocket }, { maxConnections: 1 }))
  } catch (error) {
    await closeRelays(relays)
    throw failed(`the destination could not listen for the migration: ${error instanceof Error ? error.message : String(error)}`, error)
  }
  relaysOf(host).set(spec.instanceId, relays)
  return { host: listenHost, nbdPort: relays[0]!.port, migrationPort: relays[1]!.port, exports }
}

function normalIncomingDomain(host: QemuHost, spec: InstanceSpec, paths: ReturnType<QemuHost['store']['paths']>) {
  const { layout, files } = host.normalLayout(spec, paths)
  return { layout, files, record: host.newRecord(spec, layout, files) }
}

async function jobs(qmp: QmpClient): Promise<Array<{ device: string; ready: boolean; status?: string }>> {
  return qmp.execute('query-block-jobs')
}

async function cancelMirrors(qmp: QmpClient, devices: readonly string[]): Promise<void> {
  for (const device of devices) await qmp.execute('block-job-cancel', { device, force: true }).catch(() => undefined)
  const deadline = Date.now() + 30_000
  while ((await jobs(qmp)).some((job) => devices.includes(job.device)) && Date.now() < deadline) await sleep(POLL_MS)
}

/**
 * The source's side (libvirt's "perform" with non-shared storage): each
 * local disk is mirrored (`drive-mirror`, sync `top`: the base image is the
 * same on both hosts) into the destination's NBD export; once every mirror
 * is ready, `migrate` sends the RAM while the mirrors keep the disks in step;
 * when the RAM is across (the guest paused here), the mirrors are cancelled,
 * which at ready leaves both sides identical, and this QEMU quits. Any
 * failure cancels what runs, continues the guest here and throws.
 * `onPaused` is asked between polls whether to pause the guest to converge (force_complete).
 * QEMU writes both streams to unix sockets the agent pipes to the
 * destination's TCP ports: a `nat` guest's QEMU has no route to other hosts
 * but slirp4netns's user-mode NAT, and needs none.
 */
export async function migrateOut(host: QemuHost, spec: InstanceSpec, target: IncomingMigration, options: { forceComplete?: () => boolean } = {}): Promise<LiveMigrationStats> {
  const paths = host.store.paths(spec.instanceId)
  if (runningPid(paths) === null) throw new DriverError(`domain ${spec.instanceId} is not running`, { code: DriverErrorCode.DOMAIN_NOT_RUNNING })
  const started = Date.now()
  const rescue = host.store.load(spec.instanceId)?.rescue ?? null
  const nbdSocket = relaySocketPath(paths.dir, 'outgoing-nbd')
  const ramSocket = relaySocketPath(paths.dir, 'outgoing-ram')
  const relays: StreamRelay[] = []
  try {
    relays.push(await startRelay({ path: nbdSocket }, { host: target.host, port: target.nbdPort }))
    relays.push(await startRelay({ path: ramSocket }, { host: target.host, port: target.migrationPort }, { maxConnections: 1 }))
  } catch (error) {
    await closeRelays(relays)
    throw failed(`could not relay the migration to ${target.host}: ${error instanceof Error ? error.message : String(error)}`, error)
  }
  const stats = await withQmp(paths.qmpSocket, async (qmp) => {
    const devices: string[] = []
    try {
      // A rescued root's pre-rescue layer goes first: the mirror of its top layer writes over it.
      if (rescue?.rootOverlay) await copyRootBacking(qmp, rescue.rootOverlay, target, nbdSocket)
      for (const disk of mirroredDisks(spec, rescue)) {
        const exportName = target.exports[disk.exportKey]
        if (!exportName) throw failed(`the destination serves no disk ${disk.name}`)
        const device = deviceIds(disk.name).drive
        await qmp.execute('drive-mirror', {
          device, target: `nbd:unix:${nbdSocket}:exportname=${exportName}`, format: 'raw', sync: 'top', mode: 'existing',
        })
        devices.push(device)
      }
      const readyBy = Date.now() + READY_TIMEOUT_MS
      for (;;) {
        const running = (await jobs(qmp)).filter((job) => devices.includes(job.device))
        if (running.length < devices.length) throw failed('a disk mirror to the destination stopped')
        if (running.every((job) => job.ready)) break
        if (Date.now() > readyBy) throw failed('the disk mirrors did not become ready in time')
        await sleep(POLL_MS)
      }
      await qmp.execute('migrate', { uri: `unix:${ramSocket}` })
      const doneBy = Date.now() + MIGRATE_TIMEOUT_MS
      let paused = false
      for (;;) {
        const info = await qmp.execute<{ status?: string; downtime?: number; 'error-desc'?: string }>('query-migrate')
        if (info.status === 'completed') return { totalMs: Date.now() - started, downtimeMs: info.downtime ?? null }
        if (info.status === 'failed' || info.status === 'cancelled') throw failed(`the migration ${info.status}: ${info['error-desc'] ?? ''}`.trim())
        if (Date.now() > doneBy) throw failed('the migration did not complete in time')
        if (!paused && options.forceComplete?.()) {
          // Nova's force_complete for libvirt without post-copy: pause the guest so the last pages converge.
          await qmp.execute('stop')
          paused = true
        }
        await sleep(POLL_MS)
      }
    } catch (error) {
      await qmp.execute('migrate_cancel').catch(() => undefined)
      await cancelMirrors(qmp, devices)
      await qmp.execute('cont').catch(() => undefined)
      throw error
    } finally {
      await cancelMirrors(qmp, devices)
    }
  }).finally(() => closeRelays(relays))
  await host.hardStop(paths)
  return stats
}

/**
 * The destination's last step (libvirt's "finish"): the RAM is in, the
 * source's mirrors are gone; the NBD server stops and the guest continues
 * here (`paused` keeps a guest that was paused on the source paused).
 */
export async function finishIncoming(host: QemuHost, instanceId: string, options: { paused: boolean }): Promise<void> {
  const paths = host.store.paths(instanceId)
  await withQmp(paths.qmpSocket, async (qmp) => {
    const deadline = Date.now() + MIGRATE_TIMEOUT_MS
    for (;;) {
      const { status } = await qmp.execute<{ status: string }>('query-status')
      if (status !== 'inmigrate') break
      if (Date.now() > deadline) throw failed('the incoming migration did not complete in time')
      await sleep(POLL_MS)
    }
    await qmp.execute('nbd-server-stop').catch(() => undefined)
    await dropRescuedRootNodes(qmp)
    if (!options.paused) await qmp.execute('cont')
  }).finally(() => closeIncomingRelays(host, instanceId))
}

/** Abort on the destination: its QEMU stops and the domain and its new local disks go. */
export async function abortIncoming(host: QemuHost, instanceId: string): Promise<void> {
  const paths = host.store.paths(instanceId)
  await closeIncomingRelays(host, instanceId)
  await host.hardStop(paths)
  host.store.remove(instanceId, [])
}
