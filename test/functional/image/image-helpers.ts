import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ApiResponse, Session } from '../../helpers/cloud.js'
import { skipUnless } from '../../helpers/tiers.js'

export const PATCH_V21 = 'application/openstack-images-v2.1-json-patch'
export const PATCH_V20 = 'application/openstack-images-v2.0-json-patch'

/** True when `qemu-img` runs here. */
export const QEMU_IMG_AVAILABLE = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** The `skip` option for tests that need real disk images. */
export function skipWithoutQemuImg(): string | false {
  return skipUnless(QEMU_IMG_AVAILABLE, 'qemu-img', 'apt-get install qemu-utils')
}

/** A small real qcow2 file (`qemu-img create -f qcow2`), as bytes. */
export function makeQcow2(virtualSize = '16M'): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-qcow2-'))
  try {
    const file = path.join(dir, 'disk.qcow2')
    execFileSync('qemu-img', ['create', '-f', 'qcow2', file, virtualSize], { stdio: 'ignore' })
    return new Uint8Array(fs.readFileSync(file))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Creates an image through the API and returns its view; throws unless 201. */
export async function createImage(session: Session, body: Record<string, unknown>): Promise<any> {
  const res = await session.request('POST', '/image/v2/images', { body: { disk_format: 'raw', container_format: 'bare', ...body } })
  if (res.status !== 201) throw new Error(`image create failed: ${res.status} ${res.text}`)
  return res.body
}

/** Uploads bytes as an image's data. */
export function upload(session: Session, id: string, data: Uint8Array): Promise<ApiResponse> {
  return session.request('PUT', `/image/v2/images/${id}/file`, { rawBody: data, contentType: 'application/octet-stream' })
}

/** Sends a JSON patch in the given dialect. */
export function patch(session: Session, id: string, ops: unknown, contentType = PATCH_V21): Promise<ApiResponse> {
  return session.request('PATCH', `/image/v2/images/${id}`, { rawBody: JSON.stringify(ops), contentType })
}
