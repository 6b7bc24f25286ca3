import { randomUUID } from 'node:crypto'
import type { AllocationMoves, Store } from './ports.js'
import type { HostClaims } from '../scheduler/scheduler.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { Db } from '../../db/schema.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { InstanceInvalidState } from './compute-errors.js'
import { getInstanceDetails, type InstanceRow } from './instance-store.js'
import { assertNotLocked, assertVmState, claimTaskState } from './instance-guards.js'
import { finishAction, finishActionEvent, recordAction, startActionEvent } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { migratingRescueOf } from './rescued-moves.js'
import type { ActionContext } from './instance-actions.js'
import type { MigrationsTable } from '../../db/tables/migration-tables.js'
import { claimMoveAllocations } from './move-allocations.js'

type NewMigration = Omit<MigrationsTable, 'id' | 'hidden' | 'cross_cell_move' | 'deleted'>

/** What live migration uses: placement's candidates and its moves of allocations between consumers. */
export interface LiveMigrationDeps extends Store {
  readonly placement: AllocationMoves & Pick<HostClaims, 'getHostCandidates'>
}

/** What `os-migrateLive` asks, after the API has read its microversion. */
export interface LiveMigrateRequest {
  /** The destination asked for; null: the scheduler picks. */
  host: string | null
  blockMigration: boolean | 'auto'
  force: boolean
}

/** The vm_states Nova's `live_migrate` accepts (nova/compute/api.py `check_instance_state`). */
export const LIVE_MIGRATABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.PAUSED]

/** Beyond Nova (which refuses a rescued server with 409): a rescued server live-migrates and arrives rescued. */
const LIFEBOAT_LIVE_MIGRATABLE_STATES: readonly string[] = [...LIVE_MIGRATABLE_STATES, VmState.RESCUED]

/** Nova's conductor text when no host can take the server. */
const NO_VALID_HOST = 'No valid host was found. '

/** Rolls the accepting transaction back when the destination has no room. */
class NoRoom extends Error {}

interface Destination { host: string; providerUuid: string; hostIp: string }

/** A compute host as a destination: its provider and address, or null when it is unknown or disabled. */
async function destinationOf(db: Db, host: string): Promise<(Destination & { disabled: boolean }) | null> {
  const row = await db.selectFrom('compute_services').select(['id', 'host', 'host_ip', 'disabled']).where('host', '=', host).executeTakeFirst()
  if (!row) return null
  return { host: row.host, providerUuid: row.id, hostIp: row.host_ip ?? '127.0.0.1', disabled: Boolean(row.disabled) }
}

/** The scheduler's pick among the other enabled hosts with room for the instance's allocation (placement's order). */
async function pickDestination(deps: LiveMigrationDeps, source: string, resources: Record<string, number>): Promise<Destination | null> {
  const candidates = await deps.placement.getHostCandidates({ resources })
  for (const candidate of candidates) {
    const row = await deps.db.selectFrom('compute_services').select(['host', 'host_ip', 'disabled']).where('id', '=', candidate.providerUuid).executeTakeFirst()
    if (row && row.host !== source && !row.disabled) return { host: row.host, providerUuid: candidate.providerUuid, hostIp: row.host_ip ?? '127.0.0.1' }
  }
  return null
}

/**
 * `os-migrateLive` (Nova's `compute.API.live_migrate` and the conductor's
 * `LiveMigrationTask`): admin, lock and state checks (ACTIVE or PAUSED), the
 * requested host must exist and differ from the server's; then one
 * transaction: task_state `migrating`, the `live-migration` action, a
 * `queued` migration row of type `live-migration`, placement as Nova's move
 * allocations (the migration's uuid holds the source allocation, the
 * instance claims the same resources on the destination), and the
 * destination's `live_migration_prepare` task. No room anywhere is Nova's
 * asynchronous failure: 202, the action and migration in error, the server
 * as it was.
 */
export async function liveMigrateServer(deps: LiveMigrationDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: LiveMigrateRequest): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-migrate-server:migrate_live', 'admin')
  const { row: instance } = await getInstanceDetails(deps.db, auth, instanceId, { metadata: false, tags: false, securityGroups: false })
  assertNotLocked(auth, instance)
  assertVmState(instance, 'os-migrateLive', LIFEBOAT_LIVE_MIGRATABLE_STATES)
  const source = instance.host
  if (!source) throw new InvalidRequest(`Instance ${instance.uuid} is not on a host.`)
  let asked: Destination | null = null
  if (request.host !== null) {
    const found = await destinationOf(deps.db, request.host)
    if (!found) throw new InvalidRequest(`Compute host ${request.host} could not be found.`)
    if (found.host === source) throw new InvalidRequest(`Unable to migrate instance (${instance.uuid}) to current host (${source}).`)
    asked = found
  }
  // A rescued server's destination rebuilds its rescue: the decision it was rescued with travels on the prepare task.
  const rescue = instance.vm_state === VmState.RESCUED ? await migratingRescueOf(deps.db, instance) : null
  if (instance.vm_state === VmState.RESCUED && !rescue) throw new InstanceInvalidState('os-migrateLive', instance.uuid, 'vm_state', instance.vm_state)
  const context = actionContext(call)
  const held = await deps.placement.allocationsIn(deps.db, instance.uuid)
  const resources = Object.values(held)[0] ?? {}
  const destination = asked ?? (await pickDestination(deps, source, resources))
  const migration: NewMigration = {
    uuid: randomUUID(), instance_uuid: instance.uuid, migration_type: 'live-migration', status: 'queued',
    source_compute: source, dest_compute: destination?.host ?? null, source_node: instance.node ?? source, dest_node: destination?.host ?? null, dest_host: destination?.hostIp ?? null,
    old_instance_type_id: null, new_instance_type_id: null, old_flavor: instance.flavor, new_flavor: instance.flavor,
    project_id: instance.project_id, user_id: instance.user_id, memory_total: null, memory_processed: null, memory_remaining: null,
    disk_total: null, disk_processed: null, disk_remaining: null, created_at: nowIso(), updated_at: nowIso(), deleted_at: null,
  }
  try {
    if (!destination) throw new NoRoom()
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'os-migrateLive', TaskState.MIGRATING)
      const actionId = await recordAction(trx, instance.uuid, 'live-migration', context)
      await trx.insertInto('migrations').values(migration).execute()
      const fits = await claimMoveAllocations(trx, deps.placement, instance, migration.uuid, held, destination.providerUuid, resources)
      if (!fits) throw new NoRoom()
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: destination.host, actionId, task: { kind: 'live_migration_prepare', migrationId: migration.uuid, listenHost: destination.hostIp, ...(rescue ? { rescue } : {}) } })
    })
  } catch (error) {
    if (!(error instanceof NoRoom)) throw error
    await recordRefusedLiveMigration(deps.db, instance, context, migration)
    return
  }
  tasks.notify(destination.host)
}

/** Nova's conductor failing the move: the action with its failed event, the migration in `error`, the server untouched. */
async function recordRefusedLiveMigration(db: Db, instance: InstanceRow, context: ActionContext, migration: NewMigration): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const actionId = await recordAction(trx, instance.uuid, 'live-migration', context)
    await trx.insertInto('migrations').values({ ...migration, status: 'error' }).execute()
    const eventId = await startActionEvent(trx, actionId, 'conductor_live_migrate_instance', null)
    await finishActionEvent(trx, eventId, 'Error', NO_VALID_HOST)
    await finishAction(trx, actionId, 'Error', NO_VALID_HOST)
  })
}
