/**
 * Nova's shelve (nova/compute/api.py `shelve`, `shelve_offload`, `unshelve`;
 * manager `_poll_shelved_instances`): a shelved server keeps its disks on its
 * host, powered off, with a snapshot image of its root; an offloaded one has
 * nothing on any host (no domain, no allocation, ports unbound) and is
 * scheduled again when unshelved. The agent's part is `agent/manager/shelve-instance.ts`,
 * the results' `shelve-results.ts`, the new host's `unshelve-placement.ts`.
 */
import type { ShelveDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { InstanceRow } from './instance-store.js'
import { actionContext, type CallContext } from './call-context.js'
import { InvalidRequest } from '../errors.js'
import { isVolumeBacked } from './instance-store.js'
import { claimTaskState, guardInstance, guardInstanceDetails, RULE_PARTS } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { UnshelveInstanceInvalidState } from './compute-errors.js'
import { TaskState, VmState } from './instance-states.js'
import { inheritedProperties } from './server-snapshot.js'
import { DEFAULT_ZONE } from './compute-hosts.js'

/** The vm_states Nova's `shelve` accepts. */
export const SHELVABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED]

/** What an unshelve asks for (2.77: an availability zone; absent: the server's own). */
export interface UnshelveRequest {
  availabilityZone?: string
}

function systemMetadata(row: Pick<InstanceRow, 'system_metadata'>): Record<string, string> {
  return JSON.parse(row.system_metadata) as Record<string, string>
}

/**
 * `shelve`: lock and state checks, the `<name>-shelved` snapshot image (none
 * for a volume-backed server, which is offloaded at once as in Nova), then
 * one transaction: task_state `shelving`, `image_base_image_ref` kept, the
 * action and the task. With `shelved_offload_time` 0 the agent offloads in
 * the same task.
 */
export async function shelveServer(deps: ShelveDeps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:os-shelve:shelve', action: 'shelve', vmStates: SHELVABLE_STATES }, RULE_PARTS)
  const instance = details.row
  const volumeBacked = isVolumeBacked(details.bdms)
  const offload = volumeBacked || deps.config.compute.shelvedOffloadTimeSeconds === 0
  const system = systemMetadata(instance)
  if (instance.image_ref) system.image_base_image_ref = instance.image_ref
  let imageId: string | null = null
  if (!volumeBacked) {
    const image = await deps.images.createImageRecord({
      name: `${instance.display_name}-shelved`, owner: instance.project_id, diskFormat: 'qcow2', containerFormat: 'bare', minDisk: details.flavor.disk, minRam: 0,
      properties: { ...inheritedProperties(details), instance_uuid: instance.uuid, user_id: auth.userId, image_type: 'snapshot', base_image_ref: instance.image_ref ?? '' },
    })
    imageId = image.id
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'shelve', TaskState.SHELVING, { system_metadata: JSON.stringify(system) })
      const actionId = await recordAction(trx, instance.uuid, 'shelve', actionContext(call))
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'shelve', imageId, offload } })
    })
  } catch (error) {
    if (imageId) await deps.images.deleteImageInternal(imageId).catch((cleanup: unknown) => deps.log.warn({ err: cleanup, image: imageId, server: instanceId }, 'shelve failed and its image could not be deleted'))
    throw error
  }
  tasks.notify(instance.host)
}

/** `shelveOffload` (admin by Nova's default policy): a SHELVED server's domain and disks leave its host. */
export async function shelveOffloadServer(deps: ShelveDeps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy: 'os_compute_api:os-shelve:shelve_offload', role: 'admin', action: 'shelveOffload', vmStates: [VmState.SHELVED] })
  await queueOffload(deps, tasks, instance, actionContext(call))
}

async function queueOffload(deps: ShelveDeps, tasks: TaskQueue, instance: InstanceRow, action: ReturnType<typeof actionContext> | null): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'shelveOffload', TaskState.SHELVING_OFFLOADING)
    const actionId = action ? await recordAction(trx, instance.uuid, 'shelveOffload', action) : null
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'shelve_offload' } })
  })
  tasks.notify(instance.host)
}

/**
 * `unshelve`: a SHELVED server is powered on where it is (an availability
 * zone is refused: it has a host); a SHELVED_OFFLOADED one goes back to the
 * conductor (`placeUnshelved`), in the zone asked for (2.77) or its own.
 * Answers whether the conductor has work to do.
 */
export async function unshelveServer(deps: ShelveDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: UnshelveRequest): Promise<{ schedule: boolean }> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy: 'os_compute_api:os-shelve:unshelve', action: 'unshelve', vmStates: [VmState.SHELVED, VmState.SHELVED_OFFLOADED] })
  const zone = request.availabilityZone
  if (zone !== undefined && instance.vm_state === VmState.SHELVED) throw new UnshelveInstanceInvalidState(instance.uuid, instance.vm_state)
  if (zone !== undefined && !(await zoneNames(deps)).includes(zone)) throw new InvalidRequest('The requested availability zone is not available')
  const offloaded = instance.vm_state === VmState.SHELVED_OFFLOADED
  const imageId = systemMetadata(instance).shelved_image_id || null
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'unshelve', TaskState.UNSHELVING, zone !== undefined ? { availability_zone: zone } : {})
    const actionId = await recordAction(trx, instance.uuid, 'unshelve', actionContext(call))
    if (!offloaded) await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: instance.host, actionId, task: { kind: 'unshelve', imageId, offloaded: false } })
  })
  if (!offloaded) tasks.notify(instance.host)
  return { schedule: offloaded }
}

/** The zones a server may be unshelved into: the default one and those of enabled hosts (as `os-availability-zone` lists them). */
async function zoneNames(deps: ShelveDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom('compute_services').select('zone').where('disabled', '=', 0).execute()
  return [DEFAULT_ZONE, ...rows.map((r) => r.zone)]
}

/**
 * Nova's `_poll_shelved_instances`: with `shelved_offload_time` above 0,
 * servers shelved longer than that are offloaded (no instance action, as in
 * Nova). Periodic; a server busy with another task is left for next time.
 */
export async function offloadShelvedDue(deps: ShelveDeps, tasks: TaskQueue): Promise<void> {
  const seconds = deps.config.compute.shelvedOffloadTimeSeconds
  if (seconds <= 0) return
  const rows = await deps.db.selectFrom('instances').selectAll().where('deleted', '=', 0).where('vm_state', '=', VmState.SHELVED).where('task_state', 'is', null).execute()
  const now = Date.now()
  for (const row of rows) {
    const shelvedAt = Date.parse(systemMetadata(row).shelved_at ?? '')
    if (!Number.isFinite(shelvedAt) || shelvedAt + seconds * 1000 > now) continue
    await queueOffload(deps, tasks, row, null)
      .catch((error: unknown) => deps.log.warn({ err: error, server: row.uuid }, 'a shelved server is due for offload but its offload could not be queued'))
  }
}
