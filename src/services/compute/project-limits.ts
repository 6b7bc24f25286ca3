import type { Db } from '../../db/schema.js'
import type { Store } from '../store.js'
import { computeQuotas, instanceUsage, serverGroupCounts, type DEFAULT_QUOTAS } from './compute-quotas.js'

/** A project's quotas (limits) and what it uses of them, in Nova's quota names. */
export interface ProjectLimits {
  limits: Record<keyof typeof DEFAULT_QUOTAS, number>
  inUse: { instances: number; cores: number; ram: number; security_groups: number; floating_ips: number; server_groups: number }
}

/** Quotas and usage of a project: its quotas (defaults and overrides), live instances (deleted = 0) and their flavors, its security groups and server groups. */
export async function projectLimits(db: Db, projectId: string): Promise<ProjectLimits> {
  const { instances, cores, ram } = await instanceUsage(db, projectId)
  const groups = await db.selectFrom('security_groups').select((eb) => eb.fn.countAll<string | number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
  const serverGroups = await serverGroupCounts(db, projectId)
  return {
    limits: await computeQuotas(db, projectId),
    inUse: { instances, cores, ram, security_groups: Number(groups.n), floating_ips: 0, server_groups: serverGroups.project },
  }
}

/** `GET /limits`: a project's quotas and usage. */
export class LimitsService {
  readonly #deps: Store

  constructor(deps: Store) {
    this.#deps = deps
  }

  /** Quotas and usage of a project (see `projectLimits`). */
  forProject(projectId: string): Promise<ProjectLimits> {
    return projectLimits(this.#deps.db, projectId)
  }
}
