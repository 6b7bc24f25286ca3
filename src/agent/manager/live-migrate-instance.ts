import type { AgentTask, TaskReport } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import { DriverError, PowerState } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'
import { movedRescueSpec } from './rescue-again.js'

type LiveMigrationJob = Extract<AgentTask['task'], { kind: 'live_migration_prepare' | 'live_migration' | 'live_migration_finish' | 'live_migration_abort' }>

/** True for the tasks of a live migration (each host's step of it). */
export function isLiveMigrationJob(job: AgentTask['task']): job is LiveMigrationJob {
  return job.kind.startsWith('live_migration')
}

function unsupported(ctx: TaskContext): never {
  throw new DriverError(`the ${ctx.driver.name} driver cannot live-migrate`)
}

/**
 * One host's step of a live migration, as the control plane orders them
 * (the two agents never talk to each other; only QEMU's streams cross):
 * the destination prepares and reports where it waits, the source sends
 * the disks and the RAM there, the destination continues the guest (or
 * removes what it prepared on an abort).
 */
export async function liveMigrationStep(ctx: TaskContext, spec: InstanceSpec, job: LiveMigrationJob, rescue?: AgentTask['rescue']): Promise<Omit<TaskReport, 'ok'>> {
  const { driver } = ctx
  switch (job.kind) {
    case 'live_migration_prepare': {
      if (!driver.prepareIncomingMigration) unsupported(ctx)
      const rescueSpec = job.rescue ? await movedRescueSpec(ctx, spec, job.rescue, rescue) : undefined
      const target = await driver.prepareIncomingMigration(spec, job.listenHost, rescueSpec)
      return { powerState: PowerState.PAUSED, output: { target } }
    }
    case 'live_migration': {
      if (!driver.migrateLive) unsupported(ctx)
      const stats = await driver.migrateLive(spec, job.target, { forceComplete: () => job.forceComplete === true })
      ctx.log.info({ server: spec.instanceId, ...stats }, `server ${spec.instanceId} live-migrated in ${stats.totalMs} ms, paused ${stats.downtimeMs ?? '?'} ms`)
      return { powerState: PowerState.NOSTATE, output: { ...stats } }
    }
    case 'live_migration_finish':
      if (!driver.finishIncomingMigration) unsupported(ctx)
      await driver.finishIncomingMigration(spec.instanceId, { paused: job.paused })
      return { powerState: job.paused ? PowerState.PAUSED : PowerState.RUNNING }
    case 'live_migration_abort':
      await driver.abortIncomingMigration?.(spec.instanceId)
      return { powerState: PowerState.NOSTATE }
  }
}

