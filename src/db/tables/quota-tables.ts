/** Row types of the quota tables (Nova's and Cinder's quota overrides, one table for both). */
export interface QuotasTable {
  /** `compute` or `volume`. */
  service: string
  project_id: string
  /** The quota's name in its service (instances, cores, volumes, gigabytes…). */
  resource: string
  /** -1 for unlimited. */
  hard_limit: number
}

/** One row per project, locked by every quota-checked create (see the migration). */
export interface QuotaLocksTable {
  project_id: string
}

/** A user's compute quota inside a project (Nova's `project_user_quotas`, migration 2026-12-05-004). */
export interface ProjectUserQuotasTable {
  project_id: string
  user_id: string
  /** A compute quota's name (instances, cores, ram, key_pairs…). */
  resource: string
  /** -1 for unlimited. */
  hard_limit: number
}

export interface QuotaTables {
  quotas: QuotasTable
  quota_locks: QuotaLocksTable
  project_user_quotas: ProjectUserQuotasTable
}
