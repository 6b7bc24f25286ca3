import { randomBytes } from 'node:crypto'
import type { RescueDeps, Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { Db } from '../../db/schema.js'
import { actionContext, type CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { InvalidRequest, NotFound } from '../errors.js'
import { getInstanceDetails, isVolumeBacked, type DetailParts, type InstanceDetails, type InstanceRow, type RescueRecord } from './instance-store.js'
import { assertNotLocked, assertVmState, claimTaskState, guardInstanceDetails } from './instance-guards.js'
import { recordAction } from './instance-actions.js'
import { InstanceNotRescuable } from './compute-errors.js'
import { decideRescue, type RescueDecision, type RescueFacts, type RescueImageFacts } from './rescue-decision.js'
import { insertServerRun, type RunOptions } from './rescue-run-store.js'
import { RESCUABLE_STATES, TaskState, VmState } from './instance-states.js'
import { generateAdminPass } from './server-create.js'
import { instanceImageProperties } from './instance-spec.js'
import { nowIso } from '../time.js'
import { ServiceErrorCode } from '../error-codes.js'

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
  /** `lifeboat:run`: a script to run in the rescue system, then the unrescue policy (docs/rescue-runs.md). */
  run?: RunOptions
}

class OperationNotSupportedForVTPM extends InvalidRequest {
  constructor(instanceId: string) {
    super(`Operation 'rescue' not supported for vTPM-enabled instance (${instanceId}).`, ServiceErrorCode.VTPM_NOT_SUPPORTED)
  }
}

/** Nova's `reject_vtpm_instances`: a flavor or image asking for a vTPM can't be rescued. */
function assertNoVtpm(details: InstanceDetails): void {
  const imageProperties = instanceImageProperties(details)
  if (details.flavor.extraSpecs['hw:tpm_version'] || imageProperties.hw_tpm_version) throw new OperationNotSupportedForVTPM(details.row.uuid)
}

/** The image `rescue_image_ref` names, as the caller may see it; null when there is none (any other error is not the image's fault). */
async function requestedImage(deps: RescueDeps, call: CallContext, ref: string | undefined): Promise<RescueImageFacts | null> {
  if (!ref) return null
  try {
    const image = await deps.images.getImage(call.auth, ref)
    return { id: image.id, status: image.status, properties: image.properties }
  } catch (error) {
    if (error instanceof NotFound) return null
    throw error
  }
}

/** Loads what the rescue rule looks at (`rescue-decision.ts`); nothing is decided here. */
async function loadRescueFacts(deps: RescueDeps, call: CallContext, details: InstanceDetails, request: RescueRequest): Promise<RescueFacts> {
  const instance = details.row
  const attachedVolumes: RescueFacts['attachedVolumes'] = []
  for (const bdm of details.bdms) {
    if (!bdm.volume_id) continue
    const volume = await deps.volumes.findVolume(bdm.volume_id)
    attachedVolumes.push({ id: bdm.volume_id, status: volume?.status ?? 'deleted' })
  }
  const root = details.bdms.find((b) => b.boot_index === 0 && b.volume_id)
  const rootVolume = root?.volume_id ? await deps.volumes.findVolume(root.volume_id) : null
  const defaultRef = deps.config.compute.defaultRescueImage
  const fallback = defaultRef ? await deps.images.findImage(defaultRef) : null
  return {
    instanceId: instance.uuid, host: instance.host,
    requestedImageRef: request.rescueImageRef ?? null,
    requestedImage: await requestedImage(deps, call, request.rescueImageRef),
    ownImage: instance.image_ref ? { id: instance.image_ref, properties: instanceImageProperties(details) } : null,
    rootVolumeImageMetadata: rootVolume?.imageMetadata ?? null,
    defaultImage: fallback ? { id: fallback.id, status: fallback.status, properties: fallback.properties } : null,
    volumeBacked: isVolumeBacked(details.bdms), attachedVolumes,
    hostTraits: await hostTraits(deps, instance.host),
    allowBfvRescue: request.allowBfvRescue, microversion: request.microversion,
  }
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

/** A rescue checked and decided, ready to commit. */
export interface PreparedRescue {
  instance: InstanceRow
  decision: RescueDecision
  record: RescueRecord
  keyName: string | null
  adminPass: string
}

/**
 * `rescue`'s reads and checks: Nova's checks top to bottom (vTPM, lock,
 * state, then the rescue rule of `rescue-decision.ts`: image, volumes,
 * volume-backed rules, device and bus). Nothing is written.
 */
export async function prepareRescue(deps: RescueDeps, call: CallContext, instanceId: string, request: RescueRequest): Promise<PreparedRescue> {
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
  const decision = decideRescue(await loadRescueFacts(deps, call, details, request))
  const adminPass = request.adminPass ?? generateAdminPass()
  const globalTimeout = deps.config.compute.rescueTimeoutSeconds
  const record: RescueRecord = {
    previousVmState: instance.vm_state, imageId: decision.imageId, mode: decision.mode, startedAt: nowIso(),
    timeoutSeconds: request.timeoutSeconds ?? (globalTimeout > 0 ? globalTimeout : null), rootSnapshot: true, keyName,
  }
  return { instance, decision, record, keyName, adminPass }
}

/**
 * `rescue`'s writes, inside the caller's transaction: task_state `rescuing`
 * where none (compare-and-set), the `rescue` action, and the task (with the
 * run's script, the one task that carries it). Answers the action's id.
 */
export async function commitRescue(trx: Db, tasks: TaskQueue, prepared: PreparedRescue, ctx: Parameters<typeof recordAction>[3], run: { runId: string; script: string; timeoutSeconds: number } | null): Promise<string> {
  // The run's nonce marks its one result frame; the guest never sees the database, so a stored nonce is as good as a secret one.
  const runTask = run ? { ...run, nonce: randomBytes(16).toString('hex') } : null
  const { instance, decision, record, keyName, adminPass } = prepared
  await claimTaskState(trx, instance, 'rescue', TaskState.RESCUING, { rescue: JSON.stringify(record) })
  const actionId = await recordAction(trx, instance.uuid, 'rescue', ctx)
  await tasks.enqueue(trx, {
    instanceUuid: instance.uuid, host: instance.host, actionId,
    task: { kind: 'rescue', ...decision, keyName, snapshotRoot: true, previousVmState: instance.vm_state, adminPass, ...(runTask ? { run: runTask } : {}) },
  })
  return actionId
}

/**
 * `rescue`: the checks (`prepareRescue`), then one transaction (`commitRescue`,
 * and a run's record when `lifeboat:run` asks for one). Answers the admin password.
 */
export async function rescueServer(deps: RescueDeps, tasks: TaskQueue, call: CallContext, instanceId: string, request: RescueRequest): Promise<{ adminPass: string }> {
  const prepared = await prepareRescue(deps, call, instanceId, request)
  const ctx = actionContext(call)
  await deps.db.transaction().execute(async (trx) => {
    if (!request.run) {
      await commitRescue(trx, tasks, prepared, ctx, null)
      return
    }
    const runId = await insertServerRun(trx, { instance: prepared.instance, options: request.run, userId: call.auth.userId })
    const actionId = await commitRescue(trx, tasks, prepared, ctx, { runId, script: request.run.script, timeoutSeconds: request.run.timeoutSeconds })
    await trx.updateTable('server_runs').set({ action_id: actionId }).where('id', '=', runId).execute()
  })
  tasks.notify(prepared.instance.host)
  return { adminPass: prepared.adminPass }
}

/** `unrescue`: only from RESCUED; `discard` (`lifeboat:discard`) restores the root as it was before the rescue. */
export async function unrescueServer(deps: Store, tasks: TaskQueue, call: CallContext, instanceId: string, discard: boolean): Promise<void> {
  const { details } = await guardInstanceDetails(deps.db, call, instanceId, { policy: 'os_compute_api:os-unrescue', action: 'unrescue', vmStates: [VmState.RESCUED] }, RESCUE_PARTS)
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
