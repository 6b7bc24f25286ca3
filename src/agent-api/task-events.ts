import type { TaskKind } from './tasks.js'

/**
 * The instance event each task kind records, named like Nova's
 * `compute_<method>`. In its own file without TypeBox: the agent needs only
 * this value at run time, and its thread starts faster without the schemas.
 */
export const TASK_EVENTS: Record<TaskKind, string> = {
  spawn: 'compute__do_build_and_run_instance',
  power_off: 'compute_stop_instance',
  power_on: 'compute_start_instance',
  reboot: 'compute_reboot_instance',
  pause: 'compute_pause_instance',
  unpause: 'compute_unpause_instance',
  suspend: 'compute_suspend_instance',
  resume: 'compute_resume_instance',
  snapshot: 'compute_snapshot_instance',
  attach_volume: 'compute_attach_volume',
  detach_volume: 'compute_detach_volume',
  attach_interface: 'compute_attach_interface',
  detach_interface: 'compute_detach_interface',
  rescue: 'compute_rescue_instance',
  unrescue: 'compute_unrescue_instance',
  rebuild: 'compute_rebuild_instance',
  destroy: 'compute_terminate_instance',
  console_output: 'compute_get_console_output',
  trigger_crash_dump: 'compute_trigger_crash_dump',
  soft_delete: 'compute_soft_delete_instance',
  restore: 'compute_restore_instance',
  // Nova applies Neutron's `network-changed` in `external_instance_event` (no instance action of its own).
  network_changed: 'compute_external_instance_event',
  resize: 'compute_prep_resize',
  confirm_resize: 'compute_confirm_resize',
  revert_resize: 'compute_revert_resize',
  shelve: 'compute_shelve_instance',
  shelve_offload: 'compute_shelve_offload_instance',
  unshelve: 'compute_unshelve_instance',
  backup: 'compute_backup_instance',
  live_migration_prepare: 'compute_pre_live_migration',
  live_migration: 'compute_live_migration',
  live_migration_finish: 'compute_post_live_migration_at_destination',
  live_migration_abort: 'compute_rollback_live_migration_at_destination',
  // Nova's cold migration is a resize to the same flavor: its compute events.
  migrate_out: 'compute_resize_instance',
  migrate_in: 'compute_finish_resize',
  migrate_release: 'compute_confirm_resize',
}
