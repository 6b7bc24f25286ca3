import type { RescueDeps, Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { Conflict, InvalidRequest } from '../errors.js'
import { getInstanceDetails, isVolumeBacked, type DetailParts, type InstanceDetails, type RescueRecord } from './instance-store.js'
import { assertNotLocked, assertVmState, claimTaskState } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { InstanceNotRescuable, UnsupportedRescueImage } from './compute-errors.js'
import { RESCUABLE_STATES, TaskState, VmState } from './instance-states.js'
import { generateAdminPass } from './server-create.js'
import { instanceImageProperties } from './instance-spec.js'
import { nowIso } from '../time.js'

/** A rescue request, after the route read the body and the microversion. */
export interface RescueRequest {
  adminPass?: string
  rescueImageRef?: string
  /** The request's microversion is 2.87 or later (Nova's `allow_bfv_rescue`). */
  allowBfvRescue: boolean
  /** The microversion the request used, for error messages. */
  microversion: string
  /** `lifeboat:key_name`: a keypair the rescue environment accepts. */
  keyName?: string
  /** `lifeboat:timeout`: seconds after which this server unrescues on its own. */
  timeoutSeconds?: number
}

const BFV_MICROVERSION = '2.87'

class OperationNotSupportedForVTPM extends InvalidRequest {
  constructor(instanceId: string) {
    super(`Operation 'rescue' not supported for vTPM-enabled instance (${instanceId}).`, 'LB_VTPM_NOT_SUPPORTED')
  }
}

/** Nova's `reject_vtpm_instances`: a flavor or image asking for a vTPM can't be rescued. */
function assertNoVtpm(details: InstanceDetails): void {
  const imageProperties = instanceImageProperties(details)
  if (details.flavor.extraSpecs['hw:tpm_version'] || imageProperties.hw_tpm_version) throw new OperationNotSupportedForVTPM(details.row.uuid)
}

/** Nova's `_check_volume_status`: every attached volume must be `in-use` (409 otherwise). */
async function assertVolumesInUse(deps: RescueDeps, details: InstanceDetails): Promise<void> {
  for (const bdm of details.bdms) {
    if (!bdm.volume_id) continue
    const volume = await deps.volumes.findVolume(bdm.volume_id)
    const status = volume?.status ?? 'deleted'
    if (status !== 'in-use') throw new Conflict(`Invalid volume: volume '${bdm.volume_id}' status must be 'in-use'. Currently in '${status}' status`, 'LB_INVALID_VOLUME')
  }
}

/**
 * The properties of the image the rescue will boot, chosen in the order the
 * agent's `chooseRescueImage()` uses: the requested image (400 when it can't
 * be a rescue image), else the server's image (for a volume-backed server,
 * the root volume's image metadata), else the operator's default.
 */
async function resolveRescueImage(deps: RescueDeps, call: CallContext, details: InstanceDetails, requested: string | undefined): Promise<{ imageId: string | null; properties: Record<string, string> }> {
  const images = deps.images
  if (requested) {
    const image = await images.getImage(call.auth, requested).catch(() => null)
    if (!image || image.status !== 'active') throw new UnsupportedRescueImage(requested)
    // Nova bug 1876330: images made from volume snapshots can't be rescue images.
    if (image.properties.block_device_mapping || image.properties.img_block_device_mapping) throw new UnsupportedRescueImage(requested)
    return { imageId: image.id, properties: image.properties }
  }
  const own = instanceImageProperties(details)
  if (details.row.image_ref) return { imageId: details.row.image_ref, properties: Object.fromEntries(Object.entries(own).filter(([k]) => k !== 'base_image_ref' && k !== 'name')) }
  const root = details.bdms.find((b) => b.boot_index === 0 && b.volume_id)
  if (root?.volume_id) {
    const volume = await deps.volumes.findVolume(root.volume_id)
    const meta = volume?.imageMetadata ?? {}
    if (meta.image_id) {
      const { image_id: imageId, image_name: _name, checksum: _c, container_format: _cf, disk_format: _df, min_disk: _md, min_ram: _mr, size: _s, ...properties } = meta
      return { imageId: imageId!, properties }
    }
  }
  const fallback = deps.config.compute.defaultRescueImage
  if (fallback) {
    const image = await deps.images.findImage(fallback)
    if (image) return { imageId: image.id, properties: image.properties }
  }
  return { imageId: null, properties: {} }
}

/** The traits placement has for the host's resource provider (its uuid is the compute service's id), in one query. */
async function hostTraits(deps: Store, host: string | null): Promise<string[]> {
  if (!host) return []
  const rows = await deps.db.selectFrom('compute_services').innerJoin('placement_provider_traits', 'placement_provider_traits.provider_uuid', 'compute_services.id')
    .select('placement_provider_traits.trait').where('compute_services.host', '=', host).orderBy('placement_provider_traits.trait').execute()
  return rows.map((r) => r.trait)
}

/** Rescue and unrescue look at the row, flavor and block devices only. */
const RESCUE_PARTS: DetailParts = { metadata: false, tags: false, securityGroups: false }

/**
 * The seed spec's three conditions for rescuing a volume-backed server:
 * microversion 2.87+, both `hw_rescue_device` and `hw_rescue_bus` on the
 * rescue image, and `COMPUTE_RESCUE_BFV` on the host. Refusals keep Nova's
 * words and then name every condition that failed.
 */
function assertBfvRescueAllowed(details: InstanceDetails, request: RescueRequest, properties: Record<string, string>, imageId: string | null, traits: string[]): void {
  const missing: string[] = []
  if (!request.allowBfvRescue) missing.push(`this request used compute API microversion ${request.microversion}; rescuing a volume-backed server needs ${BFV_MICROVERSION} or later (openstack CLI: --os-compute-api-version ${BFV_MICROVERSION})`)
  const absent = ['hw_rescue_device', 'hw_rescue_bus'].filter((p) => properties[p] === undefined)
  if (absent.length > 0) missing.push(`the rescue image ${imageId ?? '(none)'} lacks ${absent.join(' and ')}`)
  if (!traits.includes('COMPUTE_RESCUE_BFV')) missing.push(`host ${details.row.host ?? '(none)'} does not report trait COMPUTE_RESCUE_BFV`)
  if (missing.length === 0) return
  const novaReason = request.allowBfvRescue && absent.length === 0 ? 'Host unable to rescue a volume-backed instance' : 'Cannot rescue a volume-backed instance'
  throw new InstanceNotRescuable(details.row.uuid, `${novaReason}. Missing: ${missing.join('; ')}.`)
}

/** Lifeboat checks the rescue bus against the host's storage-bus traits before anything changes. */
function assertRescueBusSupported(properties: Record<string, string>, imageId: string | null, traits: string[]): void {
  if (properties.hw_rescue_device === undefined && properties.hw_rescue_bus === undefined) return
  const device = properties.hw_rescue_device ?? 'disk'
  if (!['disk', 'cdrom', 'floppy'].includes(device)) throw new UnsupportedRescueImage(imageId ?? '', `hw_rescue_device ${device} is not one of disk, cdrom, floppy`)
  const bus = properties.hw_rescue_bus ?? (device === 'cdrom' ? 'ide' : device === 'floppy' ? 'fdc' : 'virtio')
  if (device === 'floppy' || bus === 'fdc') throw new UnsupportedRescueImage(imageId ?? '', 'floppy rescue devices are not supported (a floppy cannot hold a rescue system)')
  if (!['virtio', 'scsi', 'ide', 'sata', 'usb'].includes(bus)) throw new UnsupportedRescueImage(imageId ?? '', `hw_rescue_bus ${bus} is not one of virtio, scsi, ide, sata, usb`)
  if (traits.length > 0 && !traits.includes(`COMPUTE_STORAGE_BUS_${bus.toUpperCase()}`)) {
    throw new UnsupportedRescueImage(imageId ?? '', `the host has no ${bus} bus (trait COMPUTE_STORAGE_BUS_${bus.toUpperCase()})`)
  }
}

/**
 * `rescue`: Nova's checks top to bottom (vTPM, lock, state, image, volumes,
 * volume-backed rules), then one transaction: task_state `rescuing` where
 * none, the `rescue` action, and the task. Answers the admin password.
 */
export async function rescueServer(deps: RescueDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: RescueRequest): Promise<{ adminPass: string }> {
  const auth = authorize(call.auth, 'os_compute_api:os-rescue', 'member')
  const details = await getInstanceDetails(deps.db, auth, instanceId, RESCUE_PARTS)
  const instance = details.row
  assertNoVtpm(details)
  assertNotLocked(auth, instance)
  assertVmState(instance, 'rescue', RESCUABLE_STATES)
  if (!instance.host) throw new InstanceNotRescuable(instance.uuid, 'the server was never scheduled to a host')
  let keyName: string | null = null
  if (request.keyName !== undefined) {
    const keypair = await deps.keypairs.findKeypair(auth.userId, request.keyName)
    if (!keypair) throw new InvalidRequest(`Invalid lifeboat:key_name provided: keypair ${request.keyName} not found.`)
    keyName = keypair.name
  }
  const { imageId, properties } = await resolveRescueImage(deps, call, details, request.rescueImageRef)
  await assertVolumesInUse(deps, details)
  const traits = await hostTraits(deps, instance.host)
  if (isVolumeBacked(details.bdms)) assertBfvRescueAllowed(details, request, properties, imageId, traits)
  if (imageId === null) throw new InstanceNotRescuable(instance.uuid, 'no rescue image: the request names none and the server has no image')
  assertRescueBusSupported(properties, imageId, traits)
  const adminPass = request.adminPass ?? generateAdminPass()
  const globalTimeout = deps.config.compute.rescueTimeoutSeconds
  const record: RescueRecord = {
    previousVmState: instance.vm_state, imageId, mode: null, startedAt: nowIso(),
    timeoutSeconds: request.timeoutSeconds ?? (globalTimeout > 0 ? globalTimeout : null), rootSnapshot: true, keyName,
  }
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'rescue', TaskState.RESCUING, { rescue: JSON.stringify(record) })
    const actionId = await recordAction(trx, instance.uuid, 'rescue', actionContext(call))
    await tasks.enqueue(trx, {
      instanceUuid: instance.uuid, host: instance.host, actionId,
      task: { kind: 'rescue', requestedImageRef: request.rescueImageRef ?? null, allowBfvRescue: request.allowBfvRescue, keyName, snapshotRoot: true, previousVmState: instance.vm_state, adminPass },
    })
  })
  tasks.notify(instance.host)
  return { adminPass }
}

/** `unrescue`: only from RESCUED; `discard` (`lifeboat:discard`) restores the root as it was before the rescue. */
export async function unrescueServer(deps: Store, tasks: TaskQueue, call: CallContext, instanceId: string, discard: boolean): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-unrescue', 'member')
  const details = await getInstanceDetails(deps.db, auth, instanceId, RESCUE_PARTS)
  assertNotLocked(auth, details.row)
  assertVmState(details.row, 'unrescue', [VmState.RESCUED])
  await queueUnrescue(deps, tasks, details, discard, actionContext(call))
}

/** Queues an unrescue (also used by the rescue timeout, which acts for the owner). */
export async function queueUnrescue(deps: Store, tasks: TaskQueue, details: InstanceDetails, discard: boolean, ctx: Parameters<typeof recordAction>[3]): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, details.row, 'unrescue', TaskState.UNRESCUING)
    const actionId = await recordAction(trx, details.row.uuid, 'unrescue', ctx)
    await tasks.enqueue(trx, { instanceUuid: details.row.uuid, host: details.row.host, actionId, task: { kind: 'unrescue', discard } })
  })
  tasks.notify(details.row.host)
}
