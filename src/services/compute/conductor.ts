import { randomUUID } from 'node:crypto'
import type { ConductorDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { loadInstanceDetails, isVolumeBacked, type InstanceDetails } from './instance-store.js'
import { TaskState, VmState } from './instance-states.js'
import { selectHost, type ScheduleRequest } from '../scheduler/scheduler.js'
import { groupHostPasses, loadGroupPlacement } from '../scheduler/group-placement.js'
import { ownerAuth } from './call-context.js'
import { finishAction, startActionEvent, finishActionEvent } from './instance-actions.js'
import { nowIso } from '../time.js'
import { readNetworkPlan } from './server-networks.js'
import { pendingUnshelves, placeUnshelved } from './unshelve-placement.js'
import { pendingEvacuations, placeEvacuated } from './evacuate-placement.js'

const VOLUME_WAIT_MS = 10 * 60 * 1000
/** How often a server group member is scheduled again after a concurrent boot took its place. */
const GROUP_PLACEMENT_ATTEMPTS = 3

/**
 * The control plane's half of a build (Nova's conductor): schedule, then
 * create and attach the volumes, then queue `spawn` for the chosen host.
 * Each step is saved, so after a restart `resumePendingBuilds` carries on
 * where it stopped.
 */
export class Conductor {
  readonly #deps: ConductorDeps
  readonly #tasks: TaskQueue
  readonly #running = new Set<string>()
  /** Builds in flight, which `close` lets finish their current step. */
  readonly #builds = new Set<Promise<void>>()
  #closed = false

  constructor(deps: ConductorDeps, tasks: TaskQueue) {
    this.#deps = deps
    this.#tasks = tasks
  }

  /** Starts building an instance in the background; errors end in ERROR with a fault, never thrown. */
  build(instanceUuid: string): void {
    if (this.#closed || this.#running.has(instanceUuid)) return
    this.#running.add(instanceUuid)
    const running: Promise<void> = this.#build(instanceUuid)
      .catch((error: unknown) => this.#deps.log.warn({ err: error, server: instanceUuid }, 'a build could not record its failure'))
      .finally(() => {
        this.#running.delete(instanceUuid)
        this.#builds.delete(running)
      })
    this.#builds.add(running)
  }

  /**
   * At shutdown, before the database closes: no new builds, and the ones in
   * flight stop after their current step (at most `waitMs`); a build left
   * half-way resumes at the next start (`resumePendingBuilds`).
   */
  async close(waitMs = 5000): Promise<void> {
    this.#closed = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#builds]), new Promise((resolve) => { timer = setTimeout(resolve, waitMs) })])
    clearTimeout(timer)
  }

  /** Picks up builds that stopped half-way (control plane restart). */
  async resumePendingBuilds(): Promise<void> {
    const rows = await this.#deps.db.selectFrom('instances').select('uuid').where('deleted', '=', 0).where('vm_state', '=', VmState.BUILDING)
      .where('task_state', 'in', [TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING]).execute()
    for (const row of rows) this.build(row.uuid)
    for (const uuid of await pendingUnshelves(this.#deps)) this.unshelve(uuid)
    for (const uuid of await pendingEvacuations(this.#deps)) this.evacuate(uuid)
  }

  /** Schedules an offloaded server being unshelved, in the background (`unshelve-placement.ts`); a failure clears its task state. */
  unshelve(instanceUuid: string): void {
    if (this.#closed) return
    const running: Promise<void> = placeUnshelved(this.#deps, this.#tasks, instanceUuid)
      .catch(async (error: unknown) => {
        this.#deps.log.warn({ err: error, server: instanceUuid }, `unshelving server ${instanceUuid} could not be scheduled`)
        await this.#deps.db.updateTable('instances').set({ task_state: null, updated_at: nowIso() }).where('uuid', '=', instanceUuid).where('task_state', '=', TaskState.UNSHELVING).execute()
      })
      .catch(() => undefined)
      .finally(() => this.#builds.delete(running))
    this.#builds.add(running)
  }

  /** Schedules an evacuated server on a new host, in the background (`evacuate-placement.ts`); a failure clears its task state. */
  evacuate(instanceUuid: string): void {
    if (this.#closed) return
    const running: Promise<void> = placeEvacuated(this.#deps, this.#tasks, instanceUuid)
      .catch(async (error: unknown) => {
        this.#deps.log.warn({ err: error, server: instanceUuid }, `the evacuation of server ${instanceUuid} could not be scheduled`)
        await this.#deps.db.updateTable('instances').set({ task_state: null, updated_at: nowIso() }).where('uuid', '=', instanceUuid).where('task_state', '=', TaskState.REBUILDING).execute()
      })
      .catch(() => undefined)
      .finally(() => this.#builds.delete(running))
    this.#builds.add(running)
  }

  async #load(uuid: string): Promise<InstanceDetails | null> {
    const row = await this.#deps.db.selectFrom('instances').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst()
    if (!row) return null
    return (await loadInstanceDetails(this.#deps.db, [row]))[0]!
  }

  async #build(uuid: string): Promise<void> {
    const actionId = (await this.#deps.db.selectFrom('instance_actions').select('id').where('instance_uuid', '=', uuid).where('action', '=', 'create').executeTakeFirst())?.id ?? null
    try {
      let instance = await this.#load(uuid)
      if (!instance) return
      if (instance.row.task_state === TaskState.SCHEDULING) {
        const eventId = actionId ? await startActionEvent(this.#deps.db, actionId, 'conductor_schedule_and_build_instances', null) : null
        const system = JSON.parse(instance.row.system_metadata) as Record<string, string>
        const imageProperties = Object.fromEntries(Object.entries(system).filter(([k]) => k.startsWith('image_')).map(([k, v]) => [k.slice(6), v]))
        // `zone`, `zone:host` or `zone:host:node` (Nova's parse_availability_zone): a host forces it, else the zone filters.
        const [zone = '', forced = ''] = (instance.row.availability_zone ?? '').split(':')
        const placed = await this.#place(instance.row, {
          instanceUuid: uuid, projectId: instance.row.project_id, userId: instance.row.user_id, flavor: instance.flavor,
          volumeBacked: isVolumeBacked(instance.bdms), imageProperties, forcedHost: forced || null, zone: zone || null,
        })
        if (placed === 'no-host') {
          if (eventId) await finishActionEvent(this.#deps.db, eventId, 'Error', 'No valid host was found. ')
          await this.#fail(uuid, actionId, 'No valid host was found. There are not enough hosts available.', false)
          return
        }
        if (eventId) await finishActionEvent(this.#deps.db, eventId, 'Success')
        if (placed === 'gone') return
        instance = await this.#load(uuid)
        if (!instance) return
      }
      if (this.#closed) return
      if (instance.row.task_state === TaskState.BLOCK_DEVICE_MAPPING) {
        await this.#allocatePorts(instance)
        if (this.#closed) return
        await this.#prepareVolumes(instance)
        await this.#deps.db.transaction().execute(async (trx) => {
          const moved = await trx.updateTable('instances').set({ task_state: TaskState.SPAWNING, updated_at: nowIso() })
            .where('uuid', '=', uuid).where('task_state', '=', TaskState.BLOCK_DEVICE_MAPPING).where('deleted', '=', 0).executeTakeFirst()
          if (Number(moved.numUpdatedRows) === 1) {
            await this.#tasks.enqueue(trx, { instanceUuid: uuid, host: instance!.row.host, task: { kind: 'spawn' }, actionId })
          }
        })
        this.#tasks.notify(instance.row.host)
      }
    } catch (error) {
      // Shutting down: the database may be going; the build resumes at the next start.
      if (this.#closed) return
      await this.#fail(uuid, actionId, error instanceof Error ? error.message : String(error), true)
    }
  }

  /**
   * Schedules the instance and records the host on it (task_state moves on
   * to block_device_mapping). A server group member's host is checked again
   * under a lock on its group as it is recorded (Nova's late group-policy
   * check): when a concurrent boot of the group took the place first, the
   * claim is freed and the scheduler asked again, a few times at most.
   * 'gone' when the instance was deleted or moved on meanwhile.
   */
  async #place(row: InstanceDetails['row'], request: Omit<ScheduleRequest, 'group'>): Promise<'placed' | 'no-host' | 'gone'> {
    const db = this.#deps.db
    for (let attempt = 0; attempt < GROUP_PLACEMENT_ATTEMPTS; attempt++) {
      const group = await loadGroupPlacement(db, row.uuid)
      const selection = await selectHost(this.#deps, { ...request, group })
      if (!selection) return 'no-host'
      const outcome = await db.transaction().execute(async (trx) => {
        if (group) {
          await trx.updateTable('server_groups').set({ updated_at: nowIso() }).where('id', '=', group.groupId).execute()
          const current = await loadGroupPlacement(trx, row.uuid)
          if (!groupHostPasses(current, selection.host)) return 'taken'
        }
        const moved = await trx.updateTable('instances')
          .set({ host: selection.host, node: selection.host, task_state: TaskState.BLOCK_DEVICE_MAPPING, availability_zone: row.availability_zone ?? selection.zone, updated_at: nowIso() })
          .where('uuid', '=', row.uuid).where('task_state', '=', TaskState.SCHEDULING).where('deleted', '=', 0).executeTakeFirst()
        return Number(moved.numUpdatedRows) === 1 ? 'placed' : 'gone'
      })
      if (outcome === 'placed') return outcome
      await this.#deps.placement.deleteAllocations(row.uuid)
      if (outcome === 'gone') return outcome
    }
    return 'no-host'
  }

  /**
   * Creates and binds the server's ports on its host (Nova's
   * `allocate_for_instance`), once: after a restart, ports already made stay.
   */
  async #allocatePorts(instance: InstanceDetails): Promise<void> {
    const plan = readNetworkPlan(instance.row.networks)
    if (plan.nics.length === 0) return
    if ((await this.#deps.network.serverPorts(instance.row.uuid)).length > 0) return
    const groups = await this.#deps.db.selectFrom('instance_security_groups').select('group_id').where('instance_uuid', '=', instance.row.uuid).execute()
    await this.#deps.network.allocate({
      instanceUuid: instance.row.uuid, projectId: instance.row.project_id, host: instance.row.host ?? '', zone: instance.row.availability_zone ?? 'nova',
      securityGroups: groups.map((g) => g.group_id),
    }, plan.nics)
  }

  /** Creates the volumes the mappings ask for and attaches them all (Nova's `_prep_block_device`). */
  async #prepareVolumes(instance: InstanceDetails): Promise<void> {
    const volumes = this.#deps.volumes
    const auth = ownerAuth(instance.row.project_id, instance.row.user_id)
    for (const bdm of instance.bdms) {
      if (bdm.destination_type !== 'volume') continue
      let volumeId = bdm.volume_id
      if (!volumeId) {
        const volume = await volumes.createVolume(auth, {
          size: bdm.volume_size ?? 1,
          name: '',
          imageRef: bdm.source_type === 'image' ? bdm.image_id ?? undefined : undefined,
          snapshotId: bdm.source_type === 'snapshot' ? bdm.snapshot_id ?? undefined : undefined,
          availabilityZone: 'nova',
        })
        volumeId = volume.id
        await this.#deps.db.updateTable('block_device_mappings').set({ volume_id: volumeId }).where('id', '=', bdm.id).execute()
      }
      const ready = await volumes.waitForVolume(volumeId, VOLUME_WAIT_MS)
      if (ready.status !== 'available' && !(bdm.attachment_id && ready.status === 'in-use')) {
        throw new Error(`Volume ${volumeId} did not become available (status ${ready.status}).`)
      }
      if (!bdm.attachment_id) {
        const attachment = await volumes.reserveAttachment(volumeId, instance.row.uuid)
        await this.#deps.db.updateTable('block_device_mappings').set({ attachment_id: attachment.id }).where('id', '=', bdm.id).execute()
        await volumes.completeAttachment(attachment.id, { mountpoint: bdm.device_name, hostName: instance.row.host ?? '' })
      }
    }
  }

  /** ERROR with a fault; the allocation is freed when the build never reached a host. */
  async #fail(uuid: string, actionId: string | null, message: string, hadHost: boolean): Promise<void> {
    const now = nowIso()
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('instances').set({ vm_state: VmState.ERROR, task_state: null, updated_at: now }).where('uuid', '=', uuid).where('deleted', '=', 0).execute()
      await trx.insertInto('instance_faults').values({ id: randomUUID(), instance_uuid: uuid, code: hadHost ? 500 : 500, message, details: '', created_at: now }).execute()
      if (actionId) await finishAction(trx, actionId, 'Error', message)
    })
  }
}
