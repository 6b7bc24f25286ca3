import type { ComputeDeps } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { CallContext } from './call-context.js'
import { ownerAuth } from './call-context.js'
import type { Conductor } from './conductor.js'
import { createServer, type CreateServerInput, type CreatedServer } from './server-create.js'
import { listServers, showServer, updateServer, type ServerListQuery } from './server-queries.js'
import { deleteServer } from './server-delete.js'
import { changeServerPassword, resetServerState, triggerCrashDump } from './server-admin.js'
import { deleteOrSoftDelete, reclaimSoftDeleted, restoreServer } from './server-soft-delete.js'
import { lockServer, POWER_ACTIONS, rebootSpec, startInstanceTask, unlockServer } from './server-actions.js'
import { rebuildServer, type RebuildRequest } from './rebuild.js'
import { confirmResize, queueConfirm, resizeServer, revertResize } from './resize.js'
import { liveMigrateServer, type LiveMigrateRequest } from './live-migration.js'
import { coldMigrateServer } from './cold-migrate.js'
import { abortLiveMigration, forceCompleteLiveMigration } from './live-migration-abort.js'
import { confirmExpiredResizes } from './resize-results.js'
import { rescueServer, unrescueServer, queueUnrescue, type RescueRequest } from './rescue.js'
import { attachVolume, detachVolume, getVolumeAttachment, listVolumeAttachments } from './volume-attachments.js'
import { createServerImage } from './server-snapshot.js'
import { getConsoleOutput } from './server-console.js'
import { getRemoteConsole, showConsoleToken, type RemoteConsoleRequest } from './remote-consoles.js'
import { listInstanceActions, showInstanceAction, type ActionListPage } from './instance-action-queries.js'
import { ServerMetadata, ServerTags } from './server-metadata.js'
import { loadInstanceDetails, getInstanceRow, type InstanceDetails, type RescueRecord } from './instance-store.js'
import { VmState } from './instance-states.js'
import { authorize } from '../policy.js'
import type { AgentGateway } from './agent-gateway.js'
import { recoverInterruptedComputeWork, type ComputeRecovery } from './crash-recovery.js'
import { readNetworkPlan } from './server-networks.js'
import { RescueRunService } from './rescue-run-service.js'
import { attachInterface, detachInterface, listInterfaces, showInterface, type AttachInterfaceInput } from './server-interfaces.js'
import { offloadShelvedDue, shelveOffloadServer, shelveServer, unshelveServer, type UnshelveRequest } from './shelve.js'
import { createServerBackup, type BackupRequest } from './server-backup.js'
import { evacuateServer, type EvacuateRequest } from './evacuate.js'
import { recoverShelveWork } from './shelve-recovery.js'

/**
 * The compute service (Nova's `compute.API`): every server operation, each
 * in its own module, under one name per verb. Routes call these; nothing
 * here reads an HTTP request.
 */
/** Finished tasks are kept this long, then purged (checked every TASK_PURGE_INTERVAL_MS). */
const FINISHED_TASK_KEEP_MS = 60 * 60 * 1000
const TASK_PURGE_INTERVAL_MS = 60 * 1000

export class ComputeService {
  readonly #deps: ComputeDeps
  #lastTaskPurge = 0
  readonly tasks: TaskQueue
  readonly conductor: Conductor
  readonly agents: AgentGateway
  /** Server metadata (`/servers/{id}/metadata`). */
  readonly metadata: ServerMetadata
  /** Server tags (`/servers/{id}/tags`). */
  readonly tags: ServerTags
  /** Rescue runs (`/lifeboat/v1`: a server's runs, fleet runs and their loop). */
  readonly rescueRuns: RescueRunService

  /** Built by `createServices` over the task queue, conductor and agent gateway it made. */
  constructor(deps: ComputeDeps, parts: { tasks: TaskQueue; conductor: Conductor; agents: AgentGateway }) {
    this.#deps = deps
    this.tasks = parts.tasks
    this.conductor = parts.conductor
    this.agents = parts.agents
    this.metadata = new ServerMetadata(deps)
    this.tags = new ServerTags(deps)
    this.rescueRuns = new RescueRunService(deps, parts.tasks)
    parts.agents.onRunFinished((fleetId) => void this.rescueRuns.loop.advance(fleetId))
  }

  /** At start, before serving: finishes or undoes the steps a killed process left half-done (`crash-recovery.ts`). */
  async recoverInterrupted(): Promise<ComputeRecovery> {
    await this.agents.resumeLeases()
    const done = await recoverInterruptedComputeWork(this.#deps)
    await recoverShelveWork(this.#deps)
    return done
  }

  async createServer(call: CallContext, input: CreateServerInput): Promise<CreatedServer[]> {
    const created = await createServer(this.#deps, call, input)
    for (const server of created) this.conductor.build(server.id)
    return created
  }

  async listServers(call: CallContext, query: ServerListQuery) {
    const result = await listServers(this.#deps, call, query)
    return { ...result, servers: await this.#withAddresses(result.servers) }
  }

  async showServer(call: CallContext, id: string) {
    return (await this.#withAddresses([await showServer(this.#deps, call, id)]))[0]!
  }

  async updateServer(call: CallContext, id: string, patch: Parameters<typeof updateServer>[3]) {
    return (await this.#withAddresses([await updateServer(this.#deps, call, id, patch)]))[0]!
  }

  /** Adds each server's live addresses (from its ports, and their floating IPs); a server whose plan has no NIC has none to look up. */
  async #withAddresses(servers: InstanceDetails[]): Promise<InstanceDetails[]> {
    const withNics = servers.filter((s) => readNetworkPlan(s.row.networks).nics.length > 0).map((s) => s.row.uuid)
    const addresses = withNics.length > 0 ? await this.#deps.network.addresses(withNics) : new Map()
    return servers.map((s) => ({ ...s, addresses: addresses.get(s.row.uuid) ?? {} }))
  }

  /** DELETE: a soft delete when `reclaim_instance_interval` is set (`server-soft-delete.ts`). */
  deleteServer(call: CallContext, id: string) {
    return deleteOrSoftDelete(this.#deps, this.tasks, call, id)
  }

  /** forceDelete: Nova's `force_delete` deletes at once, in any state (a soft-deleted server too). */
  forceDeleteServer(call: CallContext, id: string) {
    authorize(call.auth, 'os_compute_api:os-deferred-delete:force', 'member')
    return deleteServer(this.#deps, this.tasks, call, id)
  }

  restoreServer(call: CallContext, id: string) {
    return restoreServer(this.#deps, this.tasks, call, id)
  }

  resetServerState(call: CallContext, id: string, state: 'active' | 'error') {
    return resetServerState(this.#deps, call, id, state)
  }

  changeServerPassword(call: CallContext, id: string) {
    return changeServerPassword(this.#deps, call, id)
  }

  triggerCrashDump(call: CallContext, id: string) {
    return triggerCrashDump(this.#deps, this.tasks, call, id)
  }

  /** stop, start, pause, unpause, suspend, resume. */
  powerAction(call: CallContext, id: string, action: keyof typeof POWER_ACTIONS) {
    return startInstanceTask(this.#deps, this.tasks, call, id, POWER_ACTIONS[action])
  }

  rebootServer(call: CallContext, id: string, type: 'SOFT' | 'HARD') {
    return startInstanceTask(this.#deps, this.tasks, call, id, rebootSpec(type))
  }

  lockServer(call: CallContext, id: string, reason: string | null) {
    return lockServer(this.#deps, call, id, reason)
  }

  unlockServer(call: CallContext, id: string) {
    return unlockServer(this.#deps, call, id)
  }

  rescueServer(call: CallContext, id: string, request: RescueRequest) {
    return rescueServer(this.#deps, this.tasks, call, id, request)
  }

  /** `rebuild`: the server's root disk again from an image (rebuild.ts). */
  rebuildServer(call: CallContext, id: string, request: RebuildRequest) {
    return rebuildServer(this.#deps, this.tasks, call, id, request)
  }

  /** `os-migrateLive` to another host (live-migration.ts). */
  liveMigrateServer(call: CallContext, id: string, request: LiveMigrateRequest) {
    return liveMigrateServer(this.#deps, this.tasks, call, id, request)
  }
  /** `migrate` (cold) to another host, `host` from 2.56 (cold-migrate.ts). */
  coldMigrateServer(call: CallContext, id: string, host: string | null) {
    return coldMigrateServer(this.#deps, this.tasks, call, id, host)
  }
  /** DELETE `/servers/{id}/migrations/{migrationId}`: abort a live migration (live-migration-abort.ts). */
  abortLiveMigration(call: CallContext, id: string, migrationId: string, options: { abortQueued: boolean }) {
    return abortLiveMigration(this.#deps, this.tasks, call, id, migrationId, options)
  }

  /** `force_complete` of a running live migration (live-migration-abort.ts). */
  forceCompleteLiveMigration(call: CallContext, id: string, migrationId: string) {
    return forceCompleteLiveMigration(this.#deps, call, id, migrationId)
  }

  /** `resize` to another flavor on the server's host; `confirmResize` / `revertResize` end it (resize.ts). */
  resizeServer(call: CallContext, id: string, flavorRef: string) {
    return resizeServer(this.#deps, this.tasks, call, id, flavorRef)
  }
  confirmResize(call: CallContext, id: string) {
    return confirmResize(this.#deps, this.tasks, call, id)
  }
  revertResize(call: CallContext, id: string) {
    return revertResize(this.#deps, this.tasks, call, id)
  }
  unrescueServer(call: CallContext, id: string, discard: boolean) {
    return unrescueServer(this.#deps, this.tasks, call, id, discard)
  }

  createImage(call: CallContext, id: string, input: { name: string; metadata: Record<string, string> }) {
    return createServerImage(this.#deps, this.tasks, call, id, input)
  }

  /** `shelve`, `shelveOffload`, `unshelve` (shelve.ts); an offloaded server is scheduled again by the conductor. */
  shelveServer(call: CallContext, id: string) {
    return shelveServer(this.#deps, this.tasks, call, id)
  }

  shelveOffloadServer(call: CallContext, id: string) {
    return shelveOffloadServer(this.#deps, this.tasks, call, id)
  }

  async unshelveServer(call: CallContext, id: string, request: UnshelveRequest): Promise<void> {
    const { schedule } = await unshelveServer(this.#deps, this.tasks, call, id, request)
    if (schedule) this.conductor.unshelve((await getInstanceRow(this.#deps.db, call.auth, id)).uuid)
  }

  /** `evacuate` (admin, evacuate.ts): rebuilt on another host when its own is down; answers the admin password. */
  async evacuateServer(call: CallContext, id: string, request: EvacuateRequest): Promise<string> {
    const { uuid, adminPass } = await evacuateServer(this.#deps, call, id, request)
    this.conductor.evacuate(uuid)
    return adminPass
  }

  /** `createBackup` (server-backup.ts): answers the backup image's id. */
  createBackup(call: CallContext, id: string, request: BackupRequest) {
    return createServerBackup(this.#deps, this.tasks, call, id, request)
  }

  consoleOutput(call: CallContext, id: string, length: number | null) {
    return getConsoleOutput(this.#deps, this.tasks, call, id, length)
  }

  /** A console URL with a new token (`remote-consoles`, `os-get*Console`). */
  remoteConsole(call: CallContext, id: string, request: RemoteConsoleRequest) {
    return getRemoteConsole(this.#deps, call, id, request)
  }

  /** What a console token opens (`os-console-auth-tokens`, admin). */
  consoleToken(call: CallContext, token: string) {
    return showConsoleToken(this.#deps, call, token)
  }

  listVolumeAttachments(call: CallContext, id: string) {
    return listVolumeAttachments(this.#deps, call, id)
  }

  getVolumeAttachment(call: CallContext, id: string, volumeId: string) {
    return getVolumeAttachment(this.#deps, call, id, volumeId)
  }

  attachVolume(call: CallContext, id: string, input: Parameters<typeof attachVolume>[4]) {
    return attachVolume(this.#deps, this.tasks, call, id, input)
  }

  detachVolume(call: CallContext, id: string, volumeId: string) {
    return detachVolume(this.#deps, this.tasks, call, id, volumeId)
  }

  listInstanceActions(call: CallContext, id: string, page?: ActionListPage) {
    return listInstanceActions(this.#deps, call, id, page)
  }

  showInstanceAction(call: CallContext, id: string, requestId: string) {
    return showInstanceAction(this.#deps, call, id, requestId)
  }

  /** `os-interface`: the server's ports. */
  listInterfaces(call: CallContext, id: string) {
    return listInterfaces(this.#deps, call, id)
  }

  showInterface(call: CallContext, id: string, portId: string) {
    return showInterface(this.#deps, call, id, portId)
  }

  attachInterface(call: CallContext, id: string, input: AttachInterfaceInput) {
    return attachInterface(this.#deps, this.tasks, call, id, input)
  }

  detachInterface(call: CallContext, id: string, portId: string) {
    return detachInterface(this.#deps, this.tasks, call, id, portId)
  }

  /** addSecurityGroup / removeSecurityGroup actions (no task; Nova answers 202). */
  async changeSecurityGroup(call: CallContext, id: string, groupName: string, add: boolean): Promise<void> {
    const auth = authorize(call.auth, add ? 'os_compute_api:os-security-groups:add' : 'os_compute_api:os-security-groups:remove', 'member')
    const row = await getInstanceRow(this.#deps.db, auth, id)
    const groups = this.#deps.securityGroups
    if (add) await groups.addToServer(auth, row.uuid, groupName)
    else await groups.removeFromServer(auth, row.uuid, groupName)
  }

  /**
   * Periodic work of the control plane: expired leases, and servers rescued
   * longer than their timeout (`lifeboat:timeout`, else `rescue_timeout`),
   * which are unrescued on their own like Nova's `_poll_rescued_instances`.
   */
  async runPeriodicTasks(): Promise<void> {
    await this.agents.expireLeases()
    if (Date.now() - this.#lastTaskPurge > TASK_PURGE_INTERVAL_MS) {
      this.#lastTaskPurge = Date.now()
      // A finished task is only read by whoever waits for its result; the instance action keeps the history.
      await this.tasks.purgeFinished(new Date(Date.now() - FINISHED_TASK_KEEP_MS).toISOString())
    }
    await reclaimSoftDeleted(this.#deps, this.tasks)
    await confirmExpiredResizes(this.#deps, this.#deps.config.compute.resizeConfirmWindowSeconds, (instance, migration, context) => queueConfirm(this.#deps, this.tasks, instance, migration, context))
    await offloadShelvedDue(this.#deps, this.tasks)
    await this.rescueRuns.loop.tick()
    const rescued = await this.#deps.db.selectFrom('instances').selectAll().where('deleted', '=', 0).where('vm_state', '=', VmState.RESCUED).where('task_state', 'is', null).execute()
    const now = Date.now()
    for (const details of await loadInstanceDetails(this.#deps.db, rescued)) {
      const rescue = details.rescue as RescueRecord | null
      if (!rescue?.timeoutSeconds || Date.parse(rescue.startedAt) + rescue.timeoutSeconds * 1000 > now) continue
      const auth = ownerAuth(details.row.project_id, details.row.user_id)
      await queueUnrescue(this.#deps, this.tasks, details, false, { requestId: `req-rescue-timeout-${details.row.uuid}`, projectId: auth.projectId!, userId: auth.userId })
        .catch((error: unknown) => this.#deps.log.warn({ err: error, server: details.row.uuid }, 'the rescue timed out but its unrescue could not be queued'))
    }
  }
}
