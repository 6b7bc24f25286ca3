import { sql } from 'kysely'
import type { TaskResultDeps } from './ports.js'
import { TaskState, VmState } from './instance-states.js'

/**
 * At start, before serving: an offload whose allocation was not yet freed
 * when the process stopped (the step after its transaction) frees it now.
 * An offloaded server holds nothing on any host unless it is being
 * unshelved. (Unshelves the conductor had not queued resume with the
 * builds: `Conductor.resumePendingBuilds`; a queued image with no task left
 * is killed by `recoverInterruptedComputeWork`.)
 */
export async function recoverShelveWork(deps: TaskResultDeps): Promise<string[]> {
  const rows = await deps.db.selectFrom('instances').select('uuid').where('deleted', '=', 0).where('vm_state', '=', VmState.SHELVED_OFFLOADED)
    .where((eb) => eb.or([eb('task_state', 'is', null), eb('task_state', 'not in', [TaskState.UNSHELVING, TaskState.SPAWNING])]))
    .where((eb) => eb.exists(eb.selectFrom('placement_allocations').select(sql`1`.as('one')).whereRef('placement_allocations.consumer_uuid', '=', 'instances.uuid')))
    .execute()
  for (const { uuid } of rows) {
    await deps.placement.deleteAllocations(uuid)
    deps.log.warn({ server: uuid }, `offloaded server ${uuid} still held its allocation when the process stopped (restart): released now`)
  }
  return rows.map((r) => r.uuid)
}
