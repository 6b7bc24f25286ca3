import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { evacuatedGuests } from './evacuate-placement.js'
import type { AgentGatewayDeps } from './ports.js'
import type { TaskQueue, LeasedTask } from '../tasks/task-queue.js'
import type { AgentImageInfo, AgentTask, FinishTaskRequest, RegisterRequest, RegisterResponse, RescueTask, Task, TaskEvent, TaskStepRequest } from '../../agent-api/index.js'
import { capabilityTraitsUnion } from './host-traits.js'
import { InvalidRequest, Unauthorized, NotFound } from '../errors.js'
import { registeredHostIp } from './host-address.js'
import { loadInstanceDetails } from './instance-store.js'
import { buildInstanceSpec, configDriveFor, ownKeys } from './instance-spec.js'
import { applyTaskResult, type AfterCommit } from './task-results.js'
import { applyResizeProgress } from './resize-results.js'
import { applyRunResult, markRunRunning, type RunFinishedListener } from './rescue-run-results.js'
import { applyLiveMigrationResult, isLiveMigrationTask } from './live-migration-results.js'
import { applyColdMigrationResult, isColdMigrationTask } from './cold-migration-results.js'
import { finishActionEvent, recordActionEvents, startActionEvent } from './instance-actions.js'
import { TaskState, VmState } from './instance-states.js'
import { nowIso } from '../time.js'
import { PowerState } from '../../virt/virt-driver.js'
import { noteShelveUpload, renderShelveTask } from './shelve-render.js'

function hash(credential: string): string {
  return createHash('sha256').update(credential).digest('hex')
}

/** How long a credential hash read from the database is trusted without reading it again. */
const CREDENTIAL_CACHE_MS = 1000

/**
 * The control plane's side of the internal agent API: host registration,
 * heartbeats, task leases, events and results. Agents never touch the
 * database; everything they learn or report passes through here.
 */
/** The task_state each reported step follows (nova/compute/manager.py `_rebuild_default_impl`). */
const STEP_BEFORE: Record<TaskStepRequest['taskState'], string> = {
  rebuild_block_device_mapping: TaskState.REBUILDING,
  rebuild_spawning: TaskState.REBUILD_BLOCK_DEVICE_MAPPING,
}

export class AgentGateway {
  readonly #deps: AgentGatewayDeps
  readonly #tasks: TaskQueue
  /** host → credential hash as last read, and when: saves a query on every agent call. */
  readonly #credentialHashes = new Map<string, { hash: string; readAt: number }>()
  /** When this control plane started: no host counts as silent before a lease period has passed since. */
  readonly #startedAt = Date.now()
  /** Told when a fleet run's member reaches a final state (the fleet loop). */
  #runFinished: RunFinishedListener | null = null

  constructor(deps: AgentGatewayDeps, tasks: TaskQueue) {
    this.#deps = deps
    this.#tasks = tasks
  }

  /** Sets who is told when a fleet run's member reaches a final state. */
  onRunFinished(listener: RunFinishedListener): void {
    this.#runFinished = listener
  }

  /** Creates (or rotates) the credential of a host's agent; only its hash is kept. */
  async issueCredential(host: string): Promise<string> {
    const credential = randomBytes(32).toString('base64url')
    const now = nowIso()
    const existing = await this.#deps.db.selectFrom('compute_services').select('id').where('host', '=', host).executeTakeFirst()
    if (existing) await this.#deps.db.updateTable('compute_services').set({ credential_hash: hash(credential), updated_at: now }).where('id', '=', existing.id).execute()
    else {
      await this.#deps.db.insertInto('compute_services').values({
        id: randomUUID(), host, binary: 'nova-compute', zone: 'nova', disabled: 0, disabled_reason: null, forced_down: 0,
        credential_hash: hash(credential), agent_session: null, last_seen_at: null, driver: 'unknown', hypervisor_type: 'unknown',
        hypervisor_version: 0, acceleration: 'none', vcpus: 0, memory_mb: 0, local_gb: 0, cpu_info: '{}', traits: '[]', created_at: now, updated_at: now,
      }).execute()
    }
    this.#credentialHashes.delete(host)
    return credential
  }

  /** Checks a host's credential; 401 otherwise. */
  async authenticate(host: string, credential: string): Promise<void> {
    const actual = Buffer.from(hash(credential), 'hex')
    const cached = this.#credentialHashes.get(host)
    // Another process (`lifeboat agent credential`) may rotate it: a miss or an old entry reads it again.
    if (cached && performance.now() - cached.readAt < CREDENTIAL_CACHE_MS && timingSafeEqual(Buffer.from(cached.hash, 'hex'), actual)) return
    const row = await this.#deps.db.selectFrom('compute_services').select('credential_hash').where('host', '=', host).executeTakeFirst()
    const expected = Buffer.from(row?.credential_hash ?? '0'.repeat(64), 'hex')
    if (!row || !timingSafeEqual(expected, actual)) {
      this.#credentialHashes.delete(host)
      throw new Unauthorized('Unknown agent or bad credential.')
    }
    this.#credentialHashes.set(host, { hash: row.credential_hash, readAt: performance.now() })
  }

  /** An agent (re)starts: record the host, report it to placement, release its old leases, reconcile power states. */
  async register(host: string, request: RegisterRequest, peerAddress?: string): Promise<RegisterResponse> {
    const { db, config } = this.#deps
    const info = request.hostInfo
    const hostIp = registeredHostIp(request.hostIp, peerAddress)
    if (hostIp === undefined) throw new InvalidRequest(`Invalid host_ip ${request.hostIp}: not an IP address.`)
    const row = await db.selectFrom('compute_services').select('id').where('host', '=', host).executeTakeFirstOrThrow()
    const traits = capabilityTraitsUnion(request.traits)
    await db.updateTable('compute_services').set({
      agent_session: request.session, last_seen_at: nowIso(), driver: request.driver, hypervisor_type: info.hypervisorType,
      hypervisor_version: info.hypervisorVersion, acceleration: info.acceleration, vcpus: info.vcpus, memory_mb: info.memoryMb,
      local_gb: info.diskGb, cpu_info: JSON.stringify(info.cpuInfo), traits: JSON.stringify(traits), host_ip: hostIp, updated_at: nowIso(),
    }).where('id', '=', row.id).execute()
    const placement = this.#deps.placement
    await placement.ensureResourceProvider(row.id, host)
    await placement.setInventories(row.id, {
      VCPU: { total: info.vcpus, allocation_ratio: 16, max_unit: info.vcpus },
      MEMORY_MB: { total: info.memoryMb, reserved: 0, allocation_ratio: 1.5, max_unit: info.memoryMb },
      DISK_GB: { total: info.diskGb, allocation_ratio: 1, max_unit: info.diskGb },
    })
    await placement.setTraits(row.id, traits)
    await this.#tasks.releaseStaleSessions(host, request.session)
    for (const domain of request.domains) await this.syncPowerState(host, domain.instanceId, domain.powerState)
    const evacuated = await evacuatedGuests(db, host, request.domains.map((d) => d.instanceId))
    return { serviceId: row.id, leaseSeconds: config.agent.leaseSeconds, ...(evacuated.length > 0 ? { evacuated } : {}) }
  }

  /** The agent is alive: note it and extend its leases. */
  async heartbeat(host: string, session: string): Promise<void> {
    await this.#deps.db.updateTable('compute_services').set({ last_seen_at: nowIso() }).where('host', '=', host).execute()
    await this.#tasks.renewLeases(session, this.#deps.config.agent.leaseSeconds)
  }

  /** Leases tasks for a host and renders each with what the manager needs. */
  async lease(host: string, session: string, max: number, waitMs: number): Promise<AgentTask[]> {
    const leased = await this.#tasks.lease(host, session, this.#deps.config.agent.leaseSeconds, max, waitMs)
    const out: AgentTask[] = []
    for (const item of leased) {
      const rendered = await this.#render(item)
      if (rendered) out.push(rendered)
      else await this.#tasks.abandon(this.#deps.db, item.id, 'instance no longer exists')
    }
    return out
  }

  async #render(item: LeasedTask): Promise<AgentTask | null> {
    const row = await this.#deps.db.selectFrom('instances').selectAll().where('uuid', '=', item.instanceUuid).executeTakeFirst()
    // A deleted server's copies still go: its destroy, and a cold migration's source copy (dropSourceCopyOnDelete).
    const removes = item.task.kind === 'destroy' || (item.task.kind === 'migrate_release' && item.task.drop)
    if (!row || (row.deleted && !removes)) return null
    const [details] = await loadInstanceDetails(this.#deps.db, [row])
    const instance = await buildInstanceSpec(this.#deps, details!)
    const shutdown = Number(instance.imageProperties.os_shutdown_timeout ?? this.#deps.config.compute.shutdownTimeoutSeconds)
    const rendered: AgentTask = {
      id: item.id, instanceUuid: item.instanceUuid, attempts: item.attempts, task: item.task, instance,
      shutdownTimeoutSeconds: Number.isFinite(shutdown) ? shutdown : this.#deps.config.compute.shutdownTimeoutSeconds,
    }
    const task = item.task
    if (task.kind === 'rescue') {
      rendered.rescue = await this.#rescueContext(details!, task, instance.nics)
      if (item.secretLost) await this.#notePasswordLost(item)
    } else if ((task.kind === 'live_migration_prepare' || task.kind === 'rebuild') && task.rescue) {
      // A rescued server arrives rescued (live migration, evacuate): its new host needs the rescue image and config drive as a rescue does.
      rendered.rescue = await this.#rescueContext(details!, { ...task.rescue, adminPass: null }, instance.nics)
    } else if (task.kind === 'attach_volume' || task.kind === 'detach_volume') {
      const bdm = details!.bdms.find((b) => b.id === task.bdmId)
      const disk = instance.disks.find((d) => bdm?.volume_id && d.name === `volume-${bdm.volume_id}`)
      if (task.kind === 'attach_volume' && disk) rendered.attach = { disk }
      if (task.kind === 'detach_volume') {
        rendered.detach = { diskName: `volume-${bdm?.volume_id ?? ''}` }
        rendered.instance = { ...instance, disks: instance.disks.filter((d) => d.name !== rendered.detach!.diskName) }
      }
    } else if (task.kind === 'detach_interface') {
      // The port stays bound until the guest lets the NIC go: the agent gets the spec as it will be.
      rendered.instance = { ...instance, nics: instance.nics.filter((nic) => nic.portId !== task.portId) }
    } else if (task.kind === 'snapshot') {
      rendered.snapshot = { imageId: task.imageId, format: 'qcow2' }
    } else if (task.kind === 'shelve' || task.kind === 'unshelve') {
      rendered.instance = await renderShelveTask(this.#deps, item.instanceUuid, task, instance)
    }
    return rendered
  }

  /**
   * What the agent needs to execute the rescue decided at acceptance: that
   * one image as it is now (null when it is gone: the agent then fails the
   * task, and the server goes back to where it was) and the rescue's config
   * drive, with the `lifeboat:key_name` key when one was asked for, else the
   * server's own.
   */
  async #rescueContext(details: Awaited<ReturnType<typeof loadInstanceDetails>>[number], task: Pick<RescueTask, 'imageId' | 'keyName' | 'adminPass'>, nics: AgentTask['instance']['nics']): Promise<NonNullable<AgentTask['rescue']>> {
    const image = await this.imageInfo(task.imageId).catch((error: unknown) => {
      if (error instanceof NotFound) return null
      throw error
    })
    let keys = ownKeys(details)
    if (task.keyName) {
      const keypair = await this.#deps.keypairs.findKeypair(details.row.user_id, task.keyName)
      if (keypair) keys = [{ name: keypair.name, publicKey: keypair.publicKey }]
    }
    // The rescue keeps the server's NICs (same MACs, same addresses); its password goes in as Nova's rescue `admin_pass`.
    return { image, configDrive: configDriveFor(details, keys, nics, task.adminPass) }
  }

  /**
   * The rescue password lives in memory only (never in the task row): after a
   * restart before the lease it is gone, and the rescue goes on without one,
   * as Nova's does when no password can be set. The user reads why in the
   * action's events.
   */
  async #notePasswordLost(item: LeasedTask): Promise<void> {
    this.#deps.log.warn({ task: item.id, server: item.instanceUuid }, `rescue of server ${item.instanceUuid}: its password was lost in a restart, the rescue runs without setting one`)
    if (!item.actionId) return
    const eventId = await startActionEvent(this.#deps.db, item.actionId, 'compute_rescue_password', item.host,
      'The rescue password could not be set: the service restarted before the rescue started.')
    await finishActionEvent(this.#deps.db, eventId, 'Success')
  }

  /** Events of the task's instance action, as the agent saw them, in order. */
  async recordEvents(taskId: string, events: TaskEvent[], host: string): Promise<void> {
    const task = await this.#deps.db.selectFrom('tasks').select(['action_id', 'instance_uuid', 'payload']).where('id', '=', taskId).executeTakeFirst()
    if (!task) throw new NotFound(`Task ${taskId} could not be found.`)
    if (task.action_id) await recordActionEvents(this.#deps.db, task.action_id, host, events)
    await applyResizeProgress(this.#deps.db, task.instance_uuid, JSON.parse(task.payload) as Task, events)
    if (task.action_id && events.some((e) => e.event === 'lifeboat_rescue_run' && e.phase === 'start')) await markRunRunning(this.#deps.db, task.action_id)
  }

  /**
   * A task reached its next step: the server's task_state moves on, as Nova's
   * compute manager saves it with `expected_task_state` (only from the step
   * before, under this session's lease; anything else changes nothing).
   */
  async taskStep(taskId: string, request: TaskStepRequest): Promise<void> {
    const task = await this.#deps.db.selectFrom('tasks').select(['instance_uuid', 'status', 'leased_by']).where('id', '=', taskId).executeTakeFirst()
    if (!task) throw new NotFound(`Task ${taskId} could not be found.`)
    if (task.status !== 'leased' || task.leased_by !== request.session) return
    await this.#deps.db.updateTable('instances').set({ task_state: request.taskState, updated_at: nowIso() })
      .where('uuid', '=', task.instance_uuid).where('deleted', '=', 0).where('task_state', '=', STEP_BEFORE[request.taskState]).execute()
  }

  /** The task ended: apply the result to the instance in one transaction, then the volume/image follow-ups. */
  async finish(taskId: string, request: FinishTaskRequest, host: string): Promise<void> {
    const after: AfterCommit = []
    let announced = false
    await this.#deps.db.transaction().execute(async (trx) => {
      const task = await trx.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirst()
      if (!task) throw new NotFound(`Task ${taskId} could not be found.`)
      if (!(await this.#tasks.finish(trx, taskId, request.session, request.report))) return
      announced = true
      if (task.action_id) await recordActionEvents(trx, task.action_id, host, request.events ?? [])
      await applyResizeProgress(trx, task.instance_uuid, JSON.parse(task.payload) as Task, request.events ?? [])
      const instance = await trx.selectFrom('instances').selectAll().where('uuid', '=', task.instance_uuid).executeTakeFirst()
      if (!instance) return
      const payload = JSON.parse(task.payload) as Task
      if (isLiveMigrationTask(payload)) return applyLiveMigrationResult(trx, this.#deps, this.#tasks, instance, payload, task.action_id, request.report, after)
      if (isColdMigrationTask(payload)) return applyColdMigrationResult(trx, this.#deps, this.#tasks, instance, payload, task.action_id, request.report, after)
      await applyTaskResult(trx, this.#deps, instance, payload, task.action_id, request.report, after)
      await applyRunResult(trx, this.#tasks, instance.uuid, payload, request.report, after, this.#runFinished)
    })
    for (const step of after) await step()
    if (announced) this.#tasks.announceFinished(taskId)
  }

  /** An agent starts uploading a snapshot's data (a shelve's server shows `shelving_image_uploading`). */
  async imageUploadStarting(imageId: string): Promise<void> {
    await noteShelveUpload(this.#deps, imageId)
  }

  /** What an agent needs to know of an image to use it. */
  async imageInfo(imageId: string): Promise<AgentImageInfo> {
    const images = this.#deps.images
    const image = await images.findImage(imageId)
    if (!image) throw new NotFound(`Image ${imageId} could not be found.`)
    return {
      id: image.id, name: image.name, status: image.status, diskFormat: image.diskFormat === 'raw' ? 'raw' : 'qcow2',
      properties: image.properties, path: image.status === 'active' ? images.imageFilePath(image.id) : '', size: image.size, checksum: image.checksum,
    }
  }

  /**
   * Nova's `_sync_power_states`: when a guest stopped on its own (or the host
   * rebooted), an ACTIVE server with no task becomes SHUTOFF.
   */
  async syncPowerState(host: string, instanceUuid: string, powerState: number): Promise<void> {
    const row = await this.#deps.db.selectFrom('instances').select(['vm_state', 'task_state', 'power_state']).where('uuid', '=', instanceUuid).where('host', '=', host).where('deleted', '=', 0).executeTakeFirst()
    if (!row || row.task_state !== null) return
    const set: { power_state: number; vm_state?: string; updated_at: string } = { power_state: powerState, updated_at: nowIso() }
    if (row.vm_state === VmState.ACTIVE && (powerState === PowerState.SHUTDOWN || powerState === PowerState.CRASHED || powerState === PowerState.NOSTATE)) set.vm_state = VmState.STOPPED
    if (row.power_state === powerState && !set.vm_state) return
    await this.#deps.db.updateTable('instances').set(set).where('uuid', '=', instanceUuid).where('task_state', 'is', null).execute()
  }

  /** At start: leases get one more lease period (no agent could heartbeat to a stopped control plane; they reconnect). */
  async resumeLeases(): Promise<void> {
    const count = await this.#tasks.extendAllLeases(this.#deps.config.agent.leaseSeconds)
    if (count > 0) this.#deps.log.info({ tasks: count }, `${count} tasks were leased when the control plane stopped: their agents have one lease period to report`)
  }

  /**
   * Hosts whose agent has not been heard from for a lease period (counted
   * from this process's start at the earliest: while it was down no agent
   * could reach it).
   */
  async #silentHosts(): Promise<Set<string>> {
    const leaseMs = this.#deps.config.agent.leaseSeconds * 1000
    const now = Date.now()
    if (now - this.#startedAt < leaseMs) return new Set()
    const rows = await this.#deps.db.selectFrom('compute_services').select(['host', 'last_seen_at']).execute()
    return new Set(rows.filter((r) => !r.last_seen_at || now - Date.parse(r.last_seen_at) > leaseMs).map((r) => r.host))
  }

  /**
   * Periodic: requeue expired leases; fail cleanly the tasks that ran out of
   * attempts, and those of a host whose agent is gone — leased when it died,
   * or queued for it for a lease period since. Nothing waits in a task state
   * for an agent that may never come back; one that does finds the servers
   * in their last state and takes new work.
   */
  async expireLeases(): Promise<void> {
    const silent = await this.#silentHosts()
    const leaseSeconds = this.#deps.config.agent.leaseSeconds
    for (const task of await this.#tasks.expireLeases(silent)) {
      await this.#failStranded(task, task.hostDown ? 'host down' : 'attempts')
    }
    const before = new Date(Date.now() - leaseSeconds * 1000).toISOString()
    for (const task of await this.#tasks.queuedOn([...silent], before)) await this.#failStranded(task, 'host down')
  }

  /**
   * Ends a task no agent will finish, in one transaction with its instance:
   * as a failed result, or, for a `destroy` on a host that is down, as Nova's
   * local delete (the server is deleted in the database; its host is gone).
   */
  async #failStranded(task: LeasedTask, why: 'attempts' | 'host down'): Promise<void> {
    const after: AfterCommit = []
    const error = why === 'host down' ? 'The compute host of the server is down.' : 'The compute agent did not finish the task in time.'
    const localDelete = why === 'host down' && task.task.kind === 'destroy'
    await this.#deps.db.transaction().execute(async (trx) => {
      await this.#tasks.abandon(trx, task.id, why === 'host down' ? 'its compute host is down' : 'the agent did not finish the task in time')
      const instance = await trx.selectFrom('instances').selectAll().where('uuid', '=', task.instanceUuid).executeTakeFirst()
      const report = localDelete ? { ok: true, powerState: PowerState.NOSTATE } : { ok: false, error }
      if (instance && isLiveMigrationTask(task.task)) await applyLiveMigrationResult(trx, this.#deps, this.#tasks, instance, task.task, task.actionId, report, after)
      else if (instance && isColdMigrationTask(task.task)) await applyColdMigrationResult(trx, this.#deps, this.#tasks, instance, task.task, task.actionId, report, after)
      else if (instance) await applyTaskResult(trx, this.#deps, instance, task.task, task.actionId, report, after)
      if (instance) await applyRunResult(trx, this.#tasks, instance.uuid, task.task, report, after, this.#runFinished)
    })
    for (const step of after) await step()
    this.#tasks.announceFinished(task.id)
    // The agent never logs the end of such a task: the control plane does.
    const fields = { task: task.id, kind: task.task.kind, server: task.instanceUuid, host: task.host, attempts: task.attempts, outcome: localDelete ? 'deleted locally' : 'failed' }
    if (localDelete) this.#deps.log.warn(fields, `server ${task.instanceUuid} deleted in the database only: its host ${task.host} is down (no agent heard from for a lease period)`)
    else if (why === 'host down') this.#deps.log.warn(fields, `task ${task.task.kind} of server ${task.instanceUuid} failed: its host ${task.host} is down (no agent heard from for a lease period)`)
    else this.#deps.log.warn(fields, `task ${task.task.kind} of server ${task.instanceUuid} failed: its agent did not finish it in time (${task.attempts} attempts)`)
  }
}
