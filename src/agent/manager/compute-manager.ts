import fs from 'node:fs'
import path from 'node:path'
import type { AgentTask, TaskReport } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import { PowerState } from '../../virt/virt-driver.js'
// Only the constant at run time: the agent's thread never loads the schemas.
import { TASK_EVENTS } from '../../agent-api/task-events.js'
import { withEvent, type ManagerContext, type TaskContext } from './manager-context.js'
import { TaskEventStream } from '../task-event-stream.js'
import { rescueInstance, unrescueInstance } from './rescue-instance.js'
import { describeFailure, taskFailureMessage } from './task-failures.js'
import { AgentErrorCode } from '../error-codes.js'
import { deliverReport } from './deliver-report.js'
import { rebuildInstance, reportRebuildStep } from './rebuild-instance.js'
import { rescueAgain } from './rescue-again.js'
import { resizeInstance, revertResizeInstance } from './resize-instance.js'
import { isLiveMigrationJob, liveMigrationStep } from './live-migrate-instance.js'
import { coldMigrationEvent, coldMigrationStep, isColdMigrationJob } from './cold-migrate-instance.js'
import { offloadInstance, shelveInstance, unshelveInstance, uploadRootSnapshot } from './shelve-instance.js'

/** Image disks of a spec pointed at local files (downloaded when the filesystem is not shared). */
async function localizeSpec(ctx: ManagerContext, spec: InstanceSpec): Promise<InstanceSpec> {
  const disks = await Promise.all(spec.disks.map(async (disk) => {
    if (disk.source.kind !== 'image' || (disk.source.imagePath && fs.existsSync(disk.source.imagePath))) return disk
    const image = await ctx.api.imageInfo(disk.source.imageId)
    return { ...disk, source: { ...disk.source, imagePath: await ctx.images.localPath(image) } }
  }))
  return { ...spec, disks }
}

async function powerStateOf(ctx: ManagerContext, instanceId: string): Promise<number> {
  return (await ctx.driver.getDomain(instanceId))?.powerState ?? PowerState.NOSTATE
}

/** Does one task through the driver; returns what to report. Throws on failure. */
async function perform(ctx: TaskContext, task: AgentTask): Promise<Omit<TaskReport, 'ok'>> {
  const { driver } = ctx
  const id = task.instanceUuid
  const timeoutSeconds = task.shutdownTimeoutSeconds
  const job = task.task
  if (isLiveMigrationJob(job)) return liveMigrationStep(ctx, job.kind === 'live_migration_prepare' ? await localizeSpec(ctx, task.instance) : task.instance, job, task.rescue)
  if (isColdMigrationJob(job)) return coldMigrationStep(ctx, job.kind === 'migrate_out' ? task.instance : await localizeSpec(ctx, task.instance), job, timeoutSeconds)
  switch (job.kind) {
    case 'spawn':
      await driver.spawn(await localizeSpec(ctx, task.instance))
      break
    case 'soft_delete':
    case 'power_off':
      await driver.powerOff(id, { timeoutSeconds })
      break
    case 'restore':
    case 'power_on':
      await driver.powerOn(await localizeSpec(ctx, task.instance))
      break
    case 'reboot':
      await driver.reboot(await localizeSpec(ctx, task.instance), job.rebootType, { timeoutSeconds })
      break
    case 'pause':
      await driver.pause(id)
      break
    case 'unpause':
      await driver.unpause(id)
      break
    case 'suspend':
      await driver.suspend(id)
      break
    case 'resume':
      await driver.resume(await localizeSpec(ctx, task.instance))
      break
    case 'snapshot': {
      const target = path.join(ctx.workDir, `snapshot-${task.id}.qcow2`)
      fs.mkdirSync(ctx.workDir, { recursive: true })
      try {
        await driver.snapshot(id, { path: target, format: task.snapshot?.format ?? 'qcow2' })
        await ctx.api.uploadImage(job.imageId, target)
      } finally {
        fs.rmSync(target, { force: true })
      }
      break
    }
    case 'attach_volume':
      if (!task.attach) throw Object.assign(new Error('the volume to attach is gone'), { code: AgentErrorCode.TASK_INVALID })
      await driver.attachVolume(task.instance, task.attach.disk)
      break
    case 'detach_volume':
      if (!task.detach) throw Object.assign(new Error('nothing to detach'), { code: AgentErrorCode.TASK_INVALID })
      await driver.detachVolume(task.instance, task.detach.diskName)
      break
    case 'attach_interface':
      // A server without a domain (never built here) gets the NIC when it is built, from its spec.
      if (await driver.getDomain(id)) await driver.attachInterface(task.instance, job.portId)
      break
    case 'detach_interface':
      if (await driver.getDomain(id)) await driver.detachInterface(task.instance, job.portId)
      break
    case 'rescue': {
      const output = await rescueInstance(ctx, { ...task, instance: await localizeSpec(ctx, task.instance) })
      if (output) return { powerState: await powerStateOf(ctx, id), output }
      break
    }
    case 'unrescue':
      await unrescueInstance(ctx, { ...task, instance: await localizeSpec(ctx, task.instance) })
      break
    case 'rebuild': {
      const spec = await localizeSpec(ctx, task.instance)
      await rebuildInstance(ctx, spec, job.previousVmState === 'stopped', timeoutSeconds, {
        preserveEphemeral: job.preserveEphemeral === true, onStep: reportRebuildStep(ctx, task),
      })
      if (job.rescue) await rescueAgain(ctx, task, spec, job.rescue)
      break
    }
    case 'destroy':
      if (await driver.getDomain(id)) await driver.destroy(id)
      return { powerState: PowerState.NOSTATE }
    case 'console_output':
      return { output: { output: (await driver.getDomain(id)) ? await driver.getConsoleOutput(id, job.length ?? undefined) : '' } }
    case 'trigger_crash_dump':
      await driver.triggerCrashDump(id)
      break
    case 'resize':
      await resizeInstance(ctx, await localizeSpec(ctx, task.instance), job.flavor, job.powerOn, timeoutSeconds)
      break
    case 'confirm_resize':
      if (await driver.getDomain(id)) await driver.confirmResize(id)
      break
    case 'revert_resize':
      await revertResizeInstance(ctx, await localizeSpec(ctx, task.instance), job.flavor, job.powerOn, timeoutSeconds)
      break
    case 'network_changed':
      // A server not built yet (or gone) has nothing to change: its next boot applies the spec.
      if (await driver.getDomain(id)) await driver.applyForwards(task.instance)
      break
    case 'shelve':
      await shelveInstance(ctx, task, job)
      break
    case 'shelve_offload':
      await offloadInstance(ctx, id)
      return { powerState: PowerState.NOSTATE }
    case 'unshelve':
      await unshelveInstance(ctx, await localizeSpec(ctx, task.instance), job.offloaded)
      break
    case 'backup':
      await uploadRootSnapshot(ctx, task, job.imageId)
      break
  }
  return { powerState: await powerStateOf(ctx, id) }
}

/** One line per task when it ends: info when it did its work, warn with the error when it failed. */
function logTaskEnd(ctx: TaskContext, task: AgentTask, started: number, error: unknown): void {
  const durationMs = Math.round(performance.now() - started)
  const kind = task.task.kind
  const fields = { task: task.id, kind, server: task.instanceUuid, host: ctx.host, durationMs, outcome: error === null ? 'ok' : 'failed' }
  if (error === null) ctx.log.info(fields, `task ${kind} of server ${task.instanceUuid} done in ${durationMs} ms`)
  else ctx.log.warn({ ...fields, err: error }, `task ${kind} of server ${task.instanceUuid} failed after ${durationMs} ms: ${error instanceof Error ? error.message : String(error)}`)
}

/**
 * The compute manager: runs one leased task, records its instance-action
 * event, and reports the result. Never throws: a failure is a report.
 */
export async function runTask(base: ManagerContext, task: AgentTask): Promise<void> {
  const ctx: TaskContext = { ...base, events: new TaskEventStream(base.api, task.id, base.session) }
  const started = performance.now()
  let report: TaskReport
  try {
    const event = coldMigrationEvent(task.task) ?? TASK_EVENTS[task.task.kind]
    const result = task.task.kind === 'console_output' ? await perform(ctx, task) : await withEvent(ctx, event, () => perform(ctx, task))
    report = { ok: true, powerState: result.powerState, output: result.output }
    logTaskEnd(ctx, task, started, null)
  } catch (error) {
    // Users read a short reason with a code; the full error goes to the log above (with the task id) and to admins.
    const failure = describeFailure(error)
    logTaskEnd(ctx, task, started, error)
    const powerState = await powerStateOf(ctx, task.instanceUuid)
      .catch((stateError: unknown) => ctx.log.warn({ err: stateError, task: task.id, server: task.instanceUuid }, 'the power state after a failed task could not be read'))
    report = { ok: false, error: taskFailureMessage(task.task.kind, failure), code: failure.code, detail: failure.detail, powerState: powerState ?? undefined }
  }
  await deliverReport(ctx, task, { session: ctx.session, report, events: await ctx.events.drain() })
}
