/** Row types of Nova's server groups (migration 2026-12-05-003). */
export interface ServerGroupsTable {
  /** The group's UUID (Nova's `uuid`, shown as `id`). */
  id: string
  project_id: string
  user_id: string
  name: string
  /** affinity, anti-affinity, soft-affinity or soft-anti-affinity. */
  policy: string
  /** JSON object: `{}` or `{"max_server_per_host": n}` (anti-affinity only). */
  rules: string
  created_at: string
  updated_at: string
}

/** An instance in a group (one group per instance: the boot's `group` hint). */
export interface ServerGroupMembersTable {
  group_id: string
  instance_uuid: string
  created_at: string
}

export interface ServerGroupTables {
  server_groups: ServerGroupsTable
  server_group_members: ServerGroupMembersTable
}
