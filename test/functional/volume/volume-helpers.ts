import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Session } from '../../helpers/cloud.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** `/volume/v3/{project}` of a session. */
export function v3(session: Session): string {
  return `/volume/v3/${session.projectId}`
}

/** Polls a volume (or snapshot) until its status is one of `statuses`; fails after `timeoutMs`. */
export async function waitForStatus(session: Session, resourcePath: string, statuses: string[], timeoutMs = 20_000): Promise<any> {
  let last = { status: 0, text: '' }
  return waitUntil(async () => {
    const res = await session.request('GET', resourcePath)
    last = res
    const body = res.body.volume ?? res.body.snapshot
    return res.status === 200 && statuses.includes(body.status) ? body : undefined
  }, { timeoutMs, intervalMs: 50, what: () => `${resourcePath} never reached ${statuses.join('/')}: ${last.status} ${last.text}` })
}

/** Creates a volume and waits until it is available; returns its show view. */
export async function createAvailableVolume(session: Session, volume: Record<string, unknown>, microversion?: string): Promise<any> {
  const res = await session.request('POST', `${v3(session)}/volumes`, { body: { volume }, microversion })
  if (res.status !== 202) throw new Error(`create failed: ${res.status} ${res.text}`)
  return waitForStatus(session, `${v3(session)}/volumes/${res.body.volume.id}`, ['available'])
}

/** `qemu-img info` of a file: virtual size in bytes and format. */
export function qemuInfo(file: string): { virtualSize: number; format: string } {
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
  return { virtualSize: info['virtual-size'], format: info.format }
}

/** A small qcow2 file of `size` (qemu-img syntax, e.g. `64M`), in a temporary folder. */
export function makeQcow2(size: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-vol-img-'))
  const file = path.join(dir, 'disk.qcow2')
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, size])
  const data = fs.readFileSync(file)
  fs.rmSync(dir, { recursive: true, force: true })
  return data
}

/** Creates an active qcow2 image through the image API; returns its id. */
export async function createImage(session: Session, name: string, data: Buffer, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await session.request('POST', '/image/v2/images', { body: { name, disk_format: 'qcow2', container_format: 'bare', ...extra } })
  if (created.status !== 201) throw new Error(`image create failed: ${created.status} ${created.text}`)
  const upload = await session.request('PUT', `/image/v2/images/${created.body.id}/file`, { rawBody: data, contentType: 'application/octet-stream' })
  if (upload.status !== 204) throw new Error(`image upload failed: ${upload.status} ${upload.text}`)
  return created.body.id
}
