/**
 * A Lifeboat test cloud whose embedded agent runs real QEMU guests, with the
 * built guest image and the stable-rescue image uploaded: the setup the API
 * e2e files of rescue share.
 */
import path from 'node:path'
import { after, before } from 'node:test'
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js'
import { uploadImageFile } from '../../helpers/compute.js'
import { buildImages, type BuiltImages } from '../../../src/virt/qemu/guest-image/build-images.js'
import { stopQemuGuests } from './qemu-guests.js'
import type { ConfigInput } from '../../../src/config.js'

/** The cloud, the built images, and the ids of the two images every rescue test boots. */
export interface QemuCloud {
  cloud: TestCloud
  images: BuiltImages
  /** `lifeboat-guest`: the guest image. */
  guestImage: string
  /** `lifeboat-rescue`: the rescue disk with `hw_rescue_device=disk`, `hw_rescue_bus=virtio` (stable rescue). */
  rescueImage: string
}

/** Starts a SQLite cloud on the QEMU driver (`compute` settings added to the 30 s shutdown timeout) and uploads both images. */
export async function startQemuCloud(compute: NonNullable<ConfigInput['compute']> = {}): Promise<QemuCloud> {
  const images = await buildImages()
  const cloud = await startTestCloud('sqlite', { agent: { driver: 'qemu' }, compute: { shutdownTimeoutSeconds: 30, ...compute } })
  const guestImage = await uploadImageFile(cloud.admin, images.guest, 'lifeboat-guest')
  const rescueImage = await uploadImageFile(cloud.admin, images.rescueDisk, 'lifeboat-rescue', { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' })
  return { cloud, images, guestImage, rescueImage }
}

/** Closes a cloud started on the QEMU driver: its guests first, then the cloud (and its data folder). */
export async function closeQemuCloud(cloud: TestCloud | undefined): Promise<void> {
  if (!cloud) return
  await stopQemuGuests(path.join(cloud.running.config.dataDir, 'agent', 'qemu'))
  await cloud.close()
}

/** `startQemuCloud()` for the enclosing `describe`: started in its `before`, closed in its `after`. Read it inside tests. */
export function useQemuCloud(compute: NonNullable<ConfigInput['compute']> = {}): Readonly<QemuCloud> {
  const world = {} as QemuCloud
  before(async () => {
    Object.assign(world, await startQemuCloud(compute))
  })
  after(() => closeQemuCloud(world.cloud))
  return world
}
