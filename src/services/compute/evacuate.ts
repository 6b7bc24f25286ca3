import { randomUUID } from 'node:crypto'
import type { ComputeDeps } from './ports.js'
import type { CallContext } from './call-context.js'
import { actionContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceDetails } from './instance-store.js'
import { assertVmState, claimTaskState } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { serviceIsUp } from './compute-hosts.js'
import { generateAdminPass } from './server-create.js'
import { nowIso } from '../time.js'

/** What an evacuate asks for (Nova's os-evacuate body, after its microversion checks). */
export interface EvacuateRequest {
  /** The destination; absent: the scheduler chooses (never the server's own host). */
  readonly host?: string
  readonly adminPass?: string
}

/** The vm_states Nova's `evacuate` accepts (nova/compute/api.py `check_instance_state`). */
const EVACUABLE_STATES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]
/** Beyond Nova (which refuses a rescued server with 409): a RESCUED server is rebuilt elsewhere and rescued again there. */
const LIFEBOAT_EVACUABLE_STATES: readonly string[] = [...EVACUABLE_STATES, VmState.RESCUED]

/**
 * `evacuate` (Nova's `compute.API.evacuate`, admin): the host named must be a
 * compute host (404) other than the server's (400); the server ACTIVE,
 * SHUTOFF or ERROR with no task (409); its host down, forced down or silent
 * past `service_down_time` (else Nova's ComputeServiceInUse, 400 as
 * os-evacuate maps it). Then one transaction: task_state `rebuilding`, the
 * `evacuate` action, an `evacuation` migration `accepted`. The conductor
 * schedules and queues the rebuild on the new host (`evacuate-placement.ts`).
 */
export async function evacuateServer(deps: Pick<ComputeDeps, 'db' | 'log' | 'config'>, call: CallContext, instanceId: string, request: EvacuateRequest): Promise<{ uuid: string; adminPass: string }> {
  const auth = authorize(call.auth, 'os_compute_api:os-evacuate', 'admin')
  if (request.host !== undefined) {
    const target = await deps.db.selectFrom('compute_services').select('id').where('host', '=', request.host).executeTakeFirst()
    if (!target) throw new NotFound(`Compute host ${request.host} not found.`)
  }
  const { row: instance } = await getInstanceDetails(deps.db, auth, instanceId, { metadata: false, tags: false, securityGroups: false })
  if (request.host !== undefined && instance.host === request.host) throw new InvalidRequest("The target host can't be the same one.")
  assertVmState(instance, 'evacuate', LIFEBOAT_EVACUABLE_STATES)
  const source = instance.host
  const service = source ? await deps.db.selectFrom('compute_services').select(['forced_down', 'last_seen_at']).where('host', '=', source).executeTakeFirst() : undefined
  if (!source || !service) throw new InvalidRequest(`Compute host ${source ?? ''} could not be found.`)
  if (serviceIsUp(service, Date.now(), deps.config.compute.serviceDownSeconds)) throw new InvalidRequest(`Compute service of ${source} is still in use.`)
  const adminPass = request.adminPass ?? generateAdminPass()
  await deps.db.transaction().execute(async (trx) => {
    await claimTaskState(trx, instance, 'evacuate', TaskState.REBUILDING)
    await recordAction(trx, instance.uuid, 'evacuate', actionContext(call))
    await trx.insertInto('migrations').values({
      uuid: randomUUID(), instance_uuid: instance.uuid, migration_type: 'evacuation', status: 'accepted',
      source_compute: source, dest_compute: request.host ?? null, source_node: instance.node ?? source, dest_node: request.host ?? null, dest_host: null,
      old_instance_type_id: null, new_instance_type_id: null, old_flavor: null, new_flavor: null, project_id: instance.project_id, user_id: instance.user_id,
      memory_total: null, memory_processed: null, memory_remaining: null, disk_total: null, disk_processed: null, disk_remaining: null,
      created_at: nowIso(), updated_at: nowIso(), deleted_at: null,
    }).execute()
  })
  return { uuid: instance.uuid, adminPass }
}
