import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { Store } from '../store.js'
import { DEFAULT_QUOTAS } from './compute-quotas.js'

/** A project's quotas (limits) and what it uses of them, in Nova's quota names. */
export interface ProjectLimits {
  limits: Record<keyof typeof DEFAULT_QUOTAS, number>
  inUse: { instances: number; cores: number; ram: number; security_groups: number; floating_ips: number; server_groups: number }
}

/** Quotas and usage of a project: live instances (deleted = 0) and their flavors, and its security groups. */
export async function projectLimits(db: Kysely<Database>, projectId: string): Promise<ProjectLimits> {
  const instances = await db.selectFrom('instances').select('flavor').where('project_id', '=', projectId).where('deleted', '=', 0).execute()
  let cores = 0
  let ram = 0
  for (const row of instances) {
    const flavor = JSON.parse(row.flavor) as { vcpus?: number; ram?: number }
    cores += flavor.vcpus ?? 0
    ram += flavor.ram ?? 0
  }
  const groups = await db.selectFrom('security_groups').select((eb) => eb.fn.countAll<string | number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow()
  return {
    limits: { ...DEFAULT_QUOTAS },
    inUse: { instances: instances.length, cores, ram, security_groups: Number(groups.n), floating_ips: 0, server_groups: 0 },
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
