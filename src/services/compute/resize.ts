import { randomUUID } from 'node:crypto'
import type { Selectable } from 'kysely'
import type { AllocationMoves, FlavorLookup, ImageLookup, Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { Db } from '../../db/schema.js'
import type { ResizeFlavor, Task } from '../../agent-api/index.js'
import type { FlavorRecord } from './flavor-service.js'
import type { ActionContext } from './instance-actions.js'
import { actionContext, type CallContext } from './call-context.js'
import { InvalidRequest, onNotFound } from '../errors.js'
import { isVolumeBacked, type FlavorSnapshot, type InstanceRow } from './instance-store.js'
import { assertOnHost, claimTaskState, guardInstance, guardInstanceDetails, RULE_PARTS } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { placementRequest } from '../scheduler/scheduler.js'
import { checkResizeQuota } from './resize-quota.js'
import { recordRefusedResize } from './resize-results.js'
import { nowIso } from '../time.js'
import type { MigrationsTable } from '../../db/tables/migration-tables.js'
import { claimMoveAllocations, moveAllocationsBack } from './move-allocations.js'

/** What resize, confirm and revert use: flavors, the server's image, placement's two consumers. */
export interface ResizeDeps extends Store {
  readonly flavors: FlavorLookup
  readonly images: Pick<ImageLookup, 'findImage'>
  readonly placement: AllocationMoves
}

/** A migration row as read back. */
export type MigrationRow = Selectable<MigrationsTable>

/** The vm_states Nova's `resize` accepts (nova/compute/api.py `check_instance_state`). */
export const RESIZABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED]

/** Nova's text when no migration is `finished` (MigrationNotFoundByStatus in `_confirm_resize` / `_revert_resize`). */
const NOT_RESIZED = 'Instance has not been resized.'

/** The guest's side of a flavor, as the agent's resize and revert tasks carry it. */
export function resizeFlavor(flavor: FlavorSnapshot): ResizeFlavor {
  return { vcpus: flavor.vcpus, memoryMb: flavor.ram, rootGb: flavor.disk }
}

function snapshotOf(flavor: FlavorRecord): FlavorSnapshot {
  return { id: flavor.id, name: flavor.name, vcpus: flavor.vcpus, ram: flavor.ram, disk: flavor.disk, ephemeral: flavor.ephemeral, swap: flavor.swap, extraSpecs: flavor.extraSpecs }
}

/** The instance's migration with `status`, newest first (Nova's `get_by_instance_and_status`), or null. */
export async function migrationWithStatus(db: Db, instanceUuid: string, status: string): Promise<MigrationRow | null> {
  return (await db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instanceUuid).where('status', '=', status).where('deleted', '=', 0)
    .orderBy('id', 'desc').executeTakeFirst()) ?? null
}

/** The placement provider of a compute host (its compute service's id). */
async function providerOfHost(db: Db, host: string): Promise<string | null> {
  return (await db.selectFrom('compute_services').select('id').where('host', '=', host).executeTakeFirst())?.id ?? null
}

/** Rolls the accepting transaction back when the two allocations do not fit on the host. */
class NoRoom extends Error {}

/**
 * `resize` (Nova's `compute.API.resize` with `allow_resize_to_same_host`):
 * lock, state and host checks, the flavor (400 when unknown, disabled or the
 * same), a zero-disk flavor refused for an image-backed server, the image's
 * minimums, the quota for the upsize (403); then one transaction: task_state
 * `resize_prep`, the `resize` action, a `pre-migrating` migration, placement
 * as Nova holds it (the migration's uuid keeps the old flavor's allocation,
 * the instance claims the new one on the same host), and the agent's task.
 * A smaller root disk and a host without room for both are Nova's
 * asynchronous failures: the request is accepted (202) and the action ends
 * in error with Nova's words, the server as it was.
 */
export async function resizeServer(deps: ResizeDeps, tasks: TaskQueue, call: CallContext, instanceId: string, flavorRef: string): Promise<void> {
  const { auth, details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:servers:resize', action: 'resize', vmStates: RESIZABLE_STATES }, RULE_PARTS)
  const instance = details.row
  assertOnHost(instance, 'resize')
  const current = details.flavor
  const notFound = () => new InvalidRequest(`Flavor ${flavorRef} could not be found.`)
  const flavor = await deps.flavors.getFlavor(auth, flavorRef).catch(onNotFound(notFound))
  const volumeBacked = isVolumeBacked(details.bdms)
  if (flavor.disk === 0 && current.disk !== 0 && !volumeBacked) throw new InvalidRequest('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.')
  const same = flavor.id === current.id
  if (!same && flavor.disabled) throw notFound()
  if (same) throw new InvalidRequest('When resizing, instances must change flavor!')
  await checkResizeQuota(deps.db, instance, current, flavor)
  const system = JSON.parse(instance.system_metadata) as Record<string, string>
  const image = system.image_base_image_ref ? await deps.images.findImage(system.image_base_image_ref) : null
  if (image && flavor.ram < image.minRam) throw new InvalidRequest("Flavor's memory is too small for requested image.")
  if (image && !volumeBacked && flavor.disk > 0 && image.minDisk > flavor.disk) {
    throw new InvalidRequest(`Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${flavor.disk * 1024 ** 3} bytes, minimum size is ${image.minDisk * 1024 ** 3} bytes.`)
  }
  const newFlavor = snapshotOf(flavor)
  const host = instance.host
  const migration = {
    uuid: randomUUID(), instance_uuid: instance.uuid, migration_type: 'resize', status: 'pre-migrating',
    source_compute: host, dest_compute: host, source_node: instance.node ?? host, dest_node: instance.node ?? host, dest_host: null,
    old_instance_type_id: current.id, new_instance_type_id: flavor.id, old_flavor: JSON.stringify(current), new_flavor: JSON.stringify(newFlavor),
    project_id: instance.project_id, user_id: instance.user_id, memory_total: null, memory_processed: null, memory_remaining: null,
    disk_total: null, disk_processed: null, disk_remaining: null, created_at: nowIso(), updated_at: nowIso(), deleted_at: null,
  }
  const context = actionContext(call)
  // The libvirt driver's rule (`migrate_disk_and_power_off`): an image-backed root or an ephemeral disk never shrinks.
  if ((!volumeBacked && flavor.disk < current.disk) || flavor.ephemeral < current.ephemeral) {
    await recordRefusedResize(deps.db, instance, context, migration, 'compute_resize_instance', 'Resize error: Unable to resize disk down.')
    return
  }
  const imageProperties = Object.fromEntries(Object.entries(system).filter(([k]) => k.startsWith('image_')).map(([k, v]) => [k.slice(6), v]))
  const { resources } = placementRequest({ flavor: newFlavor, volumeBacked, imageProperties })
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'resize', TaskState.RESIZE_PREP)
      const actionId = await recordAction(trx, instance.uuid, 'resize', context)
      await trx.insertInto('migrations').values(migration).execute()
      const held = await deps.placement.allocationsIn(trx, instance.uuid)
      const provider = Object.keys(held)[0] ?? (await providerOfHost(trx, host))
      if (!provider) throw new NoRoom()
      const fits = await claimMoveAllocations(trx, deps.placement, instance, migration.uuid, held, provider, resources)
      if (!fits) throw new NoRoom()
      await tasks.enqueue(trx, {
        instanceUuid: instance.uuid, host, actionId,
        task: { kind: 'resize', migrationId: migration.uuid, flavor: resizeFlavor(newFlavor), powerOn: instance.vm_state === VmState.ACTIVE },
      })
    })
  } catch (error) {
    if (!(error instanceof NoRoom)) throw error
    await recordRefusedResize(deps.db, instance, context, migration, 'conductor_migrate_server', 'No valid host was found. No valid host found for resize')
    return
  }
  tasks.notify(host)
}

/** The server in VERIFY_RESIZE and its `finished` migration (Nova's checks of confirm and revert, in their order). */
async function resizedServer(deps: ResizeDeps, call: CallContext, policy: string, action: string, instanceId: string): Promise<{ instance: InstanceRow; migration: MigrationRow }> {
  const { instance } = await guardInstance(deps.db, call, instanceId, { policy, action, vmStates: [VmState.RESIZED] })
  const migration = await migrationWithStatus(deps.db, instance.uuid, 'finished')
  if (!migration) throw new InvalidRequest(NOT_RESIZED)
  return { instance, migration }
}

/** Moves the migration's status on, only from `from` (a concurrent confirm or revert loses with Nova's 400). */
async function claimMigration(trx: Db, migration: Pick<MigrationRow, 'id'>, from: string, to: string): Promise<void> {
  const moved = await trx.updateTable('migrations').set({ status: to, updated_at: nowIso() }).where('id', '=', migration.id).where('status', '=', from).executeTakeFirst()
  if (Number(moved.numUpdatedRows) !== 1) throw new InvalidRequest(NOT_RESIZED)
}

/**
 * `confirmResize` (Nova's `confirm_resize`): the migration goes `confirming`
 * and the agent drops the disks kept for a revert; its result makes the
 * server ACTIVE (SHUTOFF when stopped), the migration `confirmed`, and frees
 * the migration's allocation. No task_state, as in Nova.
 */
export async function confirmResize(deps: ResizeDeps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { instance, migration } = await resizedServer(deps, call, 'os_compute_api:servers:confirm_resize', 'confirmResize', instanceId)
  await queueConfirm(deps, tasks, instance, migration, actionContext(call))
}

/** Queues the confirm of a `finished` migration (the API, and the `resize_confirm_window` periodic). */
export async function queueConfirm(deps: Store, tasks: TaskQueue, instance: InstanceRow, migration: Pick<MigrationRow, 'id' | 'uuid' | 'source_compute'>, context: ActionContext): Promise<void> {
  const host = migration.source_compute ?? instance.host
  await deps.db.transaction().execute(async (trx) => {
    await claimMigration(trx, migration, 'finished', 'confirming')
    const actionId = await recordAction(trx, instance.uuid, 'confirmResize', context)
    // A cold migration's confirm drops the source's copy (cold-migration-results.ts).
    const { migration_type: type } = await trx.selectFrom('migrations').select('migration_type').where('id', '=', migration.id).executeTakeFirstOrThrow()
    const task: Task = type === 'migration'
      ? { kind: 'migrate_release', migrationId: migration.uuid, drop: true, powerOn: false, step: 'confirm' }
      : { kind: 'confirm_resize', migrationId: migration.uuid }
    await tasks.enqueue(trx, { instanceUuid: instance.uuid, host, actionId, task })
  })
  tasks.notify(host)
}

/**
 * `revertResize` (Nova's `revert_resize`): the quota for going back up, then
 * one transaction: task_state `resize_reverting`, the migration `reverting`,
 * the old flavor's allocation back on the instance (the migration's freed),
 * the action, and the agent's task to put the old disks back.
 */
export async function revertResize(deps: ResizeDeps, tasks: TaskQueue, call: CallContext, instanceId: string): Promise<void> {
  const { instance, migration } = await resizedServer(deps, call, 'os_compute_api:servers:revert_resize', 'revertResize', instanceId)
  const oldFlavor = JSON.parse(migration.old_flavor ?? instance.flavor) as FlavorSnapshot
  await checkResizeQuota(deps.db, instance, JSON.parse(instance.flavor) as FlavorSnapshot, oldFlavor)
  const migrated = migration.migration_type === 'migration'
  // A cold migration's revert starts on the destination (the server's host now): its copy goes, then the source boots.
  const host = instance.host
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'revertResize', TaskState.RESIZE_REVERTING)
    await claimMigration(trx, migration, 'finished', 'reverting')
    await moveAllocationsBack(trx, deps.placement, instance, migration.uuid)
    const actionId = await recordAction(trx, instance.uuid, 'revertResize', actionContext(call))
    await tasks.enqueue(trx, {
      instanceUuid: instance.uuid, host, actionId,
      task: migrated
        ? { kind: 'migrate_release', migrationId: migration.uuid, drop: true, powerOn: instance.power_state === 1, step: 'revert-dest' }
        : { kind: 'revert_resize', migrationId: migration.uuid, flavor: resizeFlavor(oldFlavor), powerOn: instance.power_state === 1 },
    })
  })
  tasks.notify(host)
}
