import { randomUUID } from 'node:crypto'
import type { AuthContext } from '../identity/auth-context.js'
import type { ImageRecord } from '../image/image-service.js'
import { LifeboatError, NotFound } from '../errors.js'
import { authorize, scopedProjectId } from '../policy.js'
import { nowIso } from '../time.js'
import type { VolumeSnapshotsTable, VolumesTable } from '../../db/tables/volume-tables.js'
import type { BackingFile } from './backend/volume-backend.js'
import { ImageUnacceptable, InvalidInput, InvalidSnapshot, InvalidVolume, snapshotNotFound } from './volume-errors.js'
import { VOLUME_AVAILABILITY_ZONE, type VolumeEnv, updateVolume, visibleVolumeRow, volumeDetail } from './volume-env.js'
import { parseJsonObject, type VolumeDetail } from './volume-records.js'
import { assertVolumeType } from './volume-types.js'
import { ServiceErrorCode } from '../error-codes.js'
import { checkVolumeQuota } from './volume-quotas.js'
import { lockProjectQuotas } from '../quotas/quota-store.js'

const GIB = 1024 ** 3
const MAX_SIZE_GB = 0x7fffffff

/** What a volume is made from and how, as the API (or another service) asks for it. */
export interface CreateVolumeRequest {
  /** GiB; may be omitted when a snapshot or source volume gives it. */
  size?: number | string | null
  name?: string | null
  description?: string | null
  imageRef?: string | null
  snapshotId?: string | null
  sourceVolId?: string | null
  availabilityZone?: string | null
  volumeType?: string | null
  metadata?: Record<string, string> | null
}

/** Where the data comes from, once checked. */
type Source =
  | { kind: 'blank' }
  | { kind: 'image'; image: ImageRecord; path: string }
  | { kind: 'snapshot'; snapshot: VolumeSnapshotsTable }
  | { kind: 'volume'; volume: VolumesTable }

/**
 * Cinder's create: checks everything first (size, zone, type, source), then
 * one row in `creating`, then the backend fills it in the background and the
 * volume becomes `available` (or `error`).
 */
export async function createVolume(env: VolumeEnv, auth: AuthContext, request: CreateVolumeRequest): Promise<VolumeDetail> {
  authorize(auth, 'volume:create', 'member')
  const projectId = scopedProjectId(auth, 'volume:create')
  const db = env.deps.db
  assertAvailabilityZone(request.availabilityZone)
  if (request.volumeType) assertVolumeType(request.volumeType)
  const source = await resolveSource(env, auth, request)
  const size = extractSize(request.size, source)
  if (source.kind === 'image') await assertImageFits(env, source, size)

  const id = randomUUID()
  const now = nowIso()
  const backing = env.backend.volumePath(id)
  const row: VolumesTable = {
    id, project_id: projectId, user_id: auth.userId,
    name: request.name ?? null, description: request.description ?? null,
    size, status: 'creating', attach_status: 'detached', bootable: 0,
    availability_zone: VOLUME_AVAILABILITY_ZONE,
    snapshot_id: source.kind === 'snapshot' ? source.snapshot.id : null,
    source_volid: source.kind === 'volume' ? source.volume.id : null,
    metadata: JSON.stringify(request.metadata ?? {}), image_metadata: '{}',
    backing_path: backing.path, backing_format: backing.format, created_at: now, updated_at: now,
  }
  // Count and insert under the project's quota lock: concurrent creates can't both take the last place.
  await db.transaction().execute(async (trx) => {
    await lockProjectQuotas(trx, projectId)
    await checkVolumeQuota(trx, projectId, size)
    await trx.insertInto('volumes').values(row).execute()
  })
  env.tasks.run(() => fillVolume(env, row, source))
  return volumeDetail(db, row)
}

/** The background half of create: the backend makes the data, then the volume is available (or error). */
async function fillVolume(env: VolumeEnv, row: VolumesTable, source: Source): Promise<void> {
  const db = env.deps.db
  try {
    let imageMetadata: Record<string, string> = {}
    let bootable = false
    if (source.kind === 'blank') {
      await env.backend.createVolume(row.id, row.size)
    } else if (source.kind === 'image') {
      await env.backend.createVolumeFromImage(row.id, { path: source.path, diskFormat: source.image.diskFormat }, row.size)
      imageMetadata = captureImageMetadata(source.image)
      bootable = true
    } else if (source.kind === 'snapshot') {
      const backing: BackingFile = { path: source.snapshot.backing_path, format: 'qcow2' }
      await env.backend.cloneVolume(row.id, backing, row.size)
      imageMetadata = parseJsonObject(source.snapshot.image_metadata)
      bootable = source.snapshot.bootable === 1
    } else {
      const backing: BackingFile = { path: source.volume.backing_path, format: source.volume.backing_format as BackingFile['format'] }
      await env.backend.cloneVolume(row.id, backing, row.size)
      imageMetadata = parseJsonObject(source.volume.image_metadata)
      bootable = source.volume.bootable === 1
    }
    await updateVolume(db, row.id, { status: 'available', bootable: bootable ? 1 : 0, image_metadata: JSON.stringify(imageMetadata) })
  } catch (error) {
    const log = env.deps.log
    log.warn({ err: error, volume: row.id }, 'creating a volume failed: status error')
    await env.backend.deleteVolume(env.backend.volumePath(row.id)).catch((cleanup: unknown) => log.warn({ err: cleanup, volume: row.id }, 'the failed volume\'s file could not be deleted'))
    await updateVolume(db, row.id, { status: 'error' })
  }
}

/** Cinder's `_capture_volume_image_metadata`: id, name, the base attributes and every property, as strings. */
export function captureImageMetadata(image: ImageRecord): Record<string, string> {
  const metadata: Record<string, string> = { image_id: image.id }
  if (image.name) metadata.image_name = image.name
  const base: Record<string, string | number | null> = {
    checksum: image.checksum, container_format: image.containerFormat, disk_format: image.diskFormat,
    min_disk: image.minDisk, min_ram: image.minRam, size: image.size,
  }
  for (const [key, value] of Object.entries(base)) if (value !== null && value !== undefined) metadata[key] = String(value)
  for (const [key, value] of Object.entries(image.properties)) if (value !== null && value !== undefined) metadata[key] = String(value)
  return metadata
}

function assertAvailabilityZone(zone: string | null | undefined): void {
  if (zone && zone !== VOLUME_AVAILABILITY_ZONE) throw new LifeboatError(`Availability zone '${zone}' is invalid.`, ServiceErrorCode.INVALID_AVAILABILITY_ZONE, 400)
}

/** The one source a request names (snapshot, source volume, image, or none), checked as Cinder checks it. */
async function resolveSource(env: VolumeEnv, auth: AuthContext, request: CreateVolumeRequest): Promise<Source> {
  const db = env.deps.db
  if (request.snapshotId) {
    const snapshot = await db.selectFrom('volume_snapshots').selectAll().where('id', '=', request.snapshotId).executeTakeFirst()
    if (!snapshot || (!auth.isAdmin && snapshot.project_id !== auth.projectId)) throw snapshotNotFound(request.snapshotId)
    if (snapshot.status !== 'available') throw new InvalidSnapshot("Originating snapshot status must be one of 'available' values")
    return { kind: 'snapshot', snapshot }
  }
  if (request.sourceVolId) {
    const volume = await visibleVolumeRow(db, auth, request.sourceVolId)
    if (!['available', 'in-use'].includes(volume.status)) throw new InvalidVolume("Originating source volume status must be one of 'available, in-use' values")
    return { kind: 'volume', volume }
  }
  if (request.imageRef !== undefined && request.imageRef !== null) {
    const image = await resolveImage(env, auth, request.imageRef)
    return { kind: 'image', image, path: env.deps.images.imageFilePath(image.id) }
  }
  return { kind: 'blank' }
}

/** Cinder's `_image_uuid_from_ref`: an id or an href ending in one; anything the caller can't see is a 400. */
async function resolveImage(env: VolumeEnv, auth: AuthContext, imageRef: string): Promise<ImageRecord> {
  const imageId = imageRef.split('/').pop() ?? ''
  try {
    if (imageId !== '') return await env.deps.images.getImage(auth, imageId)
  } catch (error) {
    if (!(error instanceof NotFound)) throw error
  }
  throw new LifeboatError('Invalid image identifier or unable to access requested image.', ServiceErrorCode.INVALID_IMAGE_REF, 400)
}

/** Cinder's `_extract_size`: the given size, else the source's; a positive integer no smaller than the source. */
function extractSize(given: number | string | null | undefined, source: Source): number {
  let size: unknown = given
  if (size === undefined || size === null) {
    if (source.kind === 'snapshot') size = source.snapshot.size
    else if (source.kind === 'volume') size = source.volume.size
  }
  const parsed = typeof size === 'string' && /^[0-9]+$/.test(size) ? Number(size) : size
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed <= 0) {
    throw new InvalidInput(`Volume size '${size === undefined || size === null ? 'None' : String(size)}' must be an integer and greater than 0`)
  }
  if (parsed > MAX_SIZE_GB) throw new InvalidInput(`Volume size '${parsed}' must be an integer and greater than 0`)
  if (source.kind === 'snapshot' && parsed < source.snapshot.size) {
    throw new InvalidInput(`Volume size '${parsed}'GB cannot be smaller than the snapshot size ${source.snapshot.size}GB. They must be >= original snapshot size.`)
  }
  if (source.kind === 'volume' && parsed < source.volume.size) {
    throw new InvalidInput(`Volume size '${parsed}'GB cannot be smaller than original volume size  ${source.volume.size}GB. They must be >= original volume size.`)
  }
  return parsed
}

/** Cinder's `check_image_metadata`: active, data size, min_disk, then virtual size all fit the volume. */
async function assertImageFits(env: VolumeEnv, source: Extract<Source, { kind: 'image' }>, sizeGb: number): Promise<void> {
  const image = source.image
  if (image.status !== 'active') throw new InvalidInput(`Image ${image.id} is not active.`)
  const imageGb = Math.ceil((image.size ?? 0) / GIB)
  if (imageGb > sizeGb) throw new InvalidInput(`Size of specified image ${imageGb}GB is larger than volume size ${sizeGb}GB.`)
  if (sizeGb < image.minDisk) throw new InvalidInput(`Volume size ${sizeGb}GB cannot be smaller than the image minDisk size ${image.minDisk}GB.`)
  const virtualSize = image.virtualSize ?? await env.backend.imageVirtualSize({ path: source.path, diskFormat: image.diskFormat })
  if (virtualSize) {
    const virtualGb = Math.ceil(virtualSize / GIB)
    if (virtualGb > sizeGb) throw new ImageUnacceptable(image.id, `Image virtual size is ${virtualGb}GB and doesn't fit in a volume of size ${sizeGb}GB.`)
  }
}
