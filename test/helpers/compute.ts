import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import type { Session, TestCloud } from './cloud.js'
import { waitUntil } from './wait-until.js'
import type { DomainLayout, NicSpec, PortForward } from '../../src/virt/virt-driver.js'

/** Uploads a small raw image (public unless said otherwise) and returns its id. */
export async function createImage(session: Session, options: { name?: string; properties?: Record<string, string>; visibility?: string } = {}): Promise<string> {
  const created = await session.request('POST', '/image/v2/images', {
    body: { name: options.name ?? 'test-image', disk_format: 'raw', container_format: 'bare', visibility: options.visibility ?? 'public', ...options.properties },
  })
  assert.equal(created.status, 201, created.text)
  const upload = await session.request('PUT', `/image/v2/images/${created.body.id}/file`, { rawBody: new Uint8Array(64 * 1024), contentType: 'application/octet-stream' })
  assert.equal(upload.status, 204, upload.text)
  return created.body.id
}

/** Polls a server until its status is `status` (or ERROR, which fails the test). */
/**
 * Boots a server (no network, flavor 1) on the named compute host (2.37, Nova's
 * `nova:<host>` zone form) and waits for ACTIVE; the server as shown then.
 */
export async function bootOnHost(session: Session, imageId: string, host: string, name = 'vm'): Promise<any> {
  const res = await session.request('POST', '/compute/v2.1/servers', {
    body: { server: { name, imageRef: imageId, flavorRef: '1', networks: 'none', availability_zone: `nova:${host}` } }, microversion: '2.37',
  })
  assert.equal(res.status, 202, res.text)
  return waitForStatus(session, res.body.server.id, 'ACTIVE')
}

/** Uploads `file` as a public image through the image API (admin); returns its id. */
export async function uploadImageFile(session: Session, file: string, name: string, properties: Record<string, string> = {}, diskFormat: 'qcow2' | 'raw' = 'qcow2'): Promise<string> {
  const created = await session.request('POST', '/image/v2/images', { body: { name, disk_format: diskFormat, container_format: 'bare', visibility: 'public', ...properties } })
  assert.equal(created.status, 201, created.text)
  const put = await session.request('PUT', `/image/v2/images/${created.body.id}/file`, { rawBody: fs.readFileSync(file), contentType: 'application/octet-stream' })
  assert.equal(put.status, 204, put.text)
  return created.body.id
}

export async function waitForStatus(session: Session, id: string, status: string, options: { microversion?: string; timeoutMs?: number } = {}): Promise<any> {
  let last: any
  return waitUntil(async () => {
    const res = await session.request('GET', `/compute/v2.1/servers/${id}`, { microversion: options.microversion })
    last = res.body.server
    if (res.status === 200 && last.status === status && last['OS-EXT-STS:task_state'] === null) return last
    if (res.status === 200 && last.status === 'ERROR' && status !== 'ERROR') assert.fail(`server ${id} went to ERROR: ${JSON.stringify(last.fault)}`)
    return undefined
  }, { timeoutMs: options.timeoutMs ?? 10_000, intervalMs: 20, what: () => `server ${id} did not reach ${status}; last seen ${JSON.stringify(last)}` })
}

/** Polls until the server is gone (404). */
export async function waitForDeleted(session: Session, id: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(async () => (await session.request('GET', `/compute/v2.1/servers/${id}`)).status === 404,
    { timeoutMs, intervalMs: 20, what: `server ${id} was not deleted` })
}

/** Creates a server and waits until it is ACTIVE. */
export async function bootServer(session: Session, body: Record<string, unknown>, microversion = '2.1'): Promise<any> {
  const res = await session.request('POST', '/compute/v2.1/servers', { body: { server: { flavorRef: '1', name: 'vm', ...body } }, microversion })
  assert.equal(res.status, 202, res.text)
  return waitForStatus(session, res.body.server.id, 'ACTIVE', { microversion })
}

/** Creates a volume and waits until it is available. */
export async function createVolume(session: Session, body: Record<string, unknown>): Promise<any> {
  const res = await session.request('POST', `/volume/v3/${session.projectId}/volumes`, { body: { volume: { size: 1, ...body } } })
  assert.equal(res.status, 202, res.text)
  return waitUntil(async () => {
    const show = await session.request('GET', `/volume/v3/${session.projectId}/volumes/${res.body.volume.id}`)
    if (show.body.volume.status === 'available') return show.body.volume
    if (show.body.volume.status === 'error') assert.fail(`volume ${res.body.volume.id} went to error`)
    return undefined
  }, { timeoutMs: 10_000, intervalMs: 20, what: 'volume did not become available' })
}

/** Polls a volume until its status is `status`. */
export async function waitForVolumeStatus(session: Session, volumeId: string, status: string, timeoutMs = 10_000): Promise<any> {
  let last: any
  return waitUntil(async () => {
    last = (await session.request('GET', `/volume/v3/${session.projectId}/volumes/${volumeId}`)).body.volume
    return last?.status === status ? last : undefined
  }, { timeoutMs, intervalMs: 20, what: () => `volume ${volumeId} did not reach ${status}; last seen ${JSON.stringify(last)}` })
}

/** Attaches a volume to a server and waits until the volume is in-use. */
export async function attachAndWait(session: Session, serverId: string, volumeId: string): Promise<void> {
  const res = await session.request('POST', `/compute/v2.1/servers/${serverId}/os-volume_attachments`, { body: { volumeAttachment: { volumeId } } })
  assert.equal(res.status, 200, res.text)
  await waitForVolumeStatus(session, volumeId, 'in-use')
}

/** Sends a server action. */
export function action(session: Session, id: string, body: unknown, microversion?: string) {
  return session.request('POST', `/compute/v2.1/servers/${id}/action`, { body, microversion })
}

/** The server's whole console log (`os-getConsoleOutput`), asserting the 200. */
export async function consoleOutput(session: Session, id: string): Promise<string> {
  const res = await action(session, id, { 'os-getConsoleOutput': null })
  assert.equal(res.status, 200, res.text)
  return res.body.output as string
}

/** A domain as the fake driver saved it. */
export interface FakeDomainRecord {
  instanceId: string
  powerState: number
  rescued: boolean
  layout: DomainLayout
  console: string[]
  configDriveKeys: string[]
  /** The NICs of the last boot, and the forwards applied now by port id (absent before the first boot of this version). */
  nics?: NicSpec[]
  forwards?: Record<string, PortForward[]>
  /** Local disks kept from before a rebuild with `preserve_ephemeral`. */
  keptDisks?: string[]
}

/** What the fake driver recorded for a domain: its power state, rescue flag and exact disk layout. */
export function fakeDomain(cloud: TestCloud, id: string): FakeDomainRecord | undefined {
  const file = path.join(cloud.running.config.dataDir, 'agent', 'fake-domains', `${id}.json`)
  if (!fs.existsSync(file)) return undefined
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FakeDomainRecord
}

/** The row of an instance, straight from the database. */
export function instanceRow(cloud: TestCloud, id: string) {
  return cloud.running.database.db.selectFrom('instances').selectAll().where('uuid', '=', id).executeTakeFirstOrThrow()
}
