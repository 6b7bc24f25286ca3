import type { AgentTask, TaskReport } from '../../agent-api/index.js'
import type { InstanceSpec } from '../../virt/virt-driver.js'
import { DriverError, PowerState } from '../../virt/virt-driver.js'
import type { TaskContext } from './manager-context.js'

type ColdMigrationJob = Extract<AgentTask['task'], { kind: 'migrate_out' | 'migrate_in' | 'migrate_release' }>

/** True for the tasks of a cold migration (each host's step of it). */
export function isColdMigrationJob(job: AgentTask['task']): job is ColdMigrationJob {
  return job.kind === 'migrate_out' || job.kind === 'migrate_in' || job.kind === 'migrate_release'
}

/** The instance event of a `migrate_release`, by its step (Nova's names for the same work); null for the kind's own. */
export function coldMigrationEvent(job: AgentTask['task']): string | null {
  if (job.kind !== 'migrate_release') return null
  if (job.step === 'revert-dest') return 'compute_revert_resize'
  if (job.step === 'revert-source') return 'compute_finish_revert_resize'
  return null
}

function unsupported(ctx: TaskContext): never {
  throw new DriverError(`the ${ctx.driver.name} driver cannot cold-migrate`)
}

/**
 * One host's step of a cold migration, as the control plane orders them
 * (the agents never talk to each other; only the NBD stream crosses): the
 * source stops the guest and serves its disks, the destination copies them
 * and boots the domain, then either side stops serving, drops its copy or
 * boots it again.
 */
export async function coldMigrationStep(ctx: TaskContext, spec: InstanceSpec, job: ColdMigrationJob, timeoutSeconds: number): Promise<Omit<TaskReport, 'ok'>> {
  const { driver } = ctx
  switch (job.kind) {
    case 'migrate_out': {
      if (!driver.exportForMigration) unsupported(ctx)
      const source = await driver.exportForMigration(spec, job.listenHost, { timeoutSeconds })
      return { powerState: PowerState.SHUTDOWN, output: { source } }
    }
    case 'migrate_in':
      if (!driver.importMigration) unsupported(ctx)
      await driver.importMigration(spec, job.source, { powerOn: job.powerOn })
      break
    case 'migrate_release':
      if (!driver.releaseMigration) unsupported(ctx)
      await driver.releaseMigration(spec, { drop: job.drop, powerOn: job.powerOn })
      break
  }
  return { powerState: (await driver.getDomain(spec.instanceId))?.powerState ?? PowerState.NOSTATE }
}
