import { randomUUID } from 'node:crypto'
import type { AllocationMoves, Store } from './ports.js'
import type { HostClaims } from '../scheduler/scheduler.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { Db } from '../../db/schema.js'
import type { MigrationsTable } from '../../db/tables/migration-tables.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest } from '../errors.js'
import { getInstanceDetails, type InstanceRow } from './instance-store.js'
import { assertNotLocked, assertVmState, claimTaskState } from './instance-guards.js'
import { recordAction, type ActionContext } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { recordRefusedResize } from './resize-results.js'
import { nowIso } from '../time.js'
import { claimMoveAllocations } from './move-allocations.js'

type NewMigration = Omit<MigrationsTable, 'id' | 'hidden' | 'cross_cell_move' | 'deleted'>

/** What cold migration uses: placement's candidates and its moves of allocations between consumers. */
export interface ColdMigrationDeps extends Store {
  readonly placement: AllocationMoves & Pick<HostClaims, 'getHostCandidates'>
}

/**
 * The vm_states `migrate` accepts: Nova's `resize` (ACTIVE, STOPPED) and,
 * beyond Nova, RESCUED (the rescue travels and is confirmed on arrival).
 */
export const MIGRATABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.RESCUED]

/** Nova's conductor text when no other host can take the server (`_cold_migrate`). */
const NO_VALID_HOST = 'No valid host was found. No valid host found for cold migrate'

interface Destination { host: string; providerUuid: string }

/** Rolls the accepting transaction back when the destination has no room. */
class NoRoom extends Error {}

/**
 * The scheduler's pick for a move with the same resources: an enabled host
 * other than the source with room, the one with the most free RAM first
 * (Nova's RAM weigher); `asked` (2.56 `host`) is the only candidate when given.
 */
async function pickDestination(deps: ColdMigrationDeps, source: string, resources: Record<string, number>, asked: string | null): Promise<Destination | null> {
  const candidates = await deps.placement.getHostCandidates({ resources })
  const services = await deps.db.selectFrom('compute_services').select(['id', 'host', 'disabled']).execute()
  const byId = new Map(services.map((s) => [s.id, s]))
  const free = (c: (typeof candidates)[number]) => (c.summary.MEMORY_MB ? c.summary.MEMORY_MB.capacity - c.summary.MEMORY_MB.used : 0)
  for (const candidate of [...candidates].sort((a, b) => free(b) - free(a))) {
    const service = byId.get(candidate.providerUuid)
    if (!service || service.disabled || service.host === source) continue
    if (asked !== null && service.host !== asked) continue
    return { host: service.host, providerUuid: candidate.providerUuid }
  }
  return null
}

/** The address a host's agent serves on (its registered host_ip). */
export async function hostAddress(db: Db, host: string): Promise<string> {
  return (await db.selectFrom('compute_services').select('host_ip').where('host', '=', host).executeTakeFirst())?.host_ip ?? '127.0.0.1'
}

/**
 * `migrate` (Nova's `compute.API.resize` with no flavor, the conductor's
 * `MigrationTask`): admin, lock and state checks; a requested host (2.56)
 * must exist and differ from the server's (Nova's 400s); then one
 * transaction: task_state `resize_prep`, the `migrate` action, a
 * `pre-migrating` migration of type `migration` (the same flavor on both
 * sides), Nova's move allocations (the migration's uuid holds the source
 * allocation, the instance claims the same resources on the destination),
 * and the source's `migrate_out`. No host with room is Nova's asynchronous
 * NoValidHost: 202, the action and migration in error, the server as it was.
 */
export async function coldMigrateServer(deps: ColdMigrationDeps, tasks: TaskQueue, call: CallContext, instanceId: string, requestedHost: string | null): Promise<void> {
  const auth = authorize(call.auth, 'os_compute_api:os-migrate-server:migrate', 'admin')
  const { row: instance } = await getInstanceDetails(deps.db, auth, instanceId, { metadata: false, tags: false, securityGroups: false })
  assertNotLocked(auth, instance)
  assertVmState(instance, 'migrate', MIGRATABLE_STATES)
  const source = instance.host
  if (!source) throw new InvalidRequest(`Instance ${instance.uuid} is not on a host.`)
  if (requestedHost !== null) {
    // Nova's `_validate_host_for_cold_migrate`: the same host first, then whether it exists.
    if (requestedHost === source) throw new InvalidRequest('Cannot migrate to the host where the server exists.')
    const known = await deps.db.selectFrom('compute_services').select('id').where('host', '=', requestedHost).executeTakeFirst()
    if (!known) throw new InvalidRequest(`Compute host ${requestedHost} could not be found.`)
  }
  const context = actionContext(call)
  const held = await deps.placement.allocationsIn(deps.db, instance.uuid)
  const resources = Object.values(held)[0] ?? {}
  const destination = await pickDestination(deps, source, resources, requestedHost)
  const flavor = JSON.parse(instance.flavor) as { id?: string }
  const migration: NewMigration = {
    uuid: randomUUID(), instance_uuid: instance.uuid, migration_type: 'migration', status: 'pre-migrating',
    source_compute: source, dest_compute: destination?.host ?? null, source_node: instance.node ?? source, dest_node: destination?.host ?? null, dest_host: null,
    old_instance_type_id: flavor.id ?? null, new_instance_type_id: flavor.id ?? null, old_flavor: instance.flavor, new_flavor: instance.flavor,
    project_id: instance.project_id, user_id: instance.user_id, memory_total: null, memory_processed: null, memory_remaining: null,
    disk_total: null, disk_processed: null, disk_remaining: null, created_at: nowIso(), updated_at: nowIso(), deleted_at: null,
  }
  const listenHost = await hostAddress(deps.db, source)
  try {
    if (!destination) throw new NoRoom()
    migration.dest_host = await hostAddress(deps.db, destination.host)
    await deps.db.transaction().execute(async (trx) => {
      await claimTaskState(trx, instance, 'migrate', TaskState.RESIZE_PREP)
      const actionId = await recordAction(trx, instance.uuid, 'migrate', context)
      await trx.insertInto('migrations').values(migration).execute()
      const fits = await claimMoveAllocations(trx, deps.placement, instance, migration.uuid, held, destination.providerUuid, resources)
      if (!fits) throw new NoRoom()
      await tasks.enqueue(trx, { instanceUuid: instance.uuid, host: source, actionId, task: { kind: 'migrate_out', migrationId: migration.uuid, listenHost } })
    })
  } catch (error) {
    if (!(error instanceof NoRoom)) throw error
    await recordRefusedMigrate(deps.db, instance, context, migration)
    return
  }
  tasks.notify(source)
}

/** Nova's conductor failing the move (NoValidHost): the `migrate` action with its failed event, the migration in `error`, a fault. */
async function recordRefusedMigrate(db: Db, instance: InstanceRow, context: ActionContext, migration: NewMigration): Promise<void> {
  await recordRefusedResize(db, instance, context, migration, 'conductor_migrate_server', NO_VALID_HOST, 'migrate')
}
