/** Row types of the compute tables. Booleans are 0/1; JSON columns are text. */
export interface FlavorsTable {
  id: string
  name: string
  vcpus: number
  ram: number
  disk: number
  ephemeral: number
  swap: number
  rxtx_factor: number
  is_public: number
  disabled: number
  description: string | null
  created_at: string
}

export interface FlavorExtraSpecsTable {
  flavor_id: string
  key: string
  value: string
}

export interface FlavorProjectsTable {
  flavor_id: string
  project_id: string
}

export interface KeypairsTable {
  id: string
  user_id: string
  name: string
  type: string
  public_key: string
  fingerprint: string
  created_at: string
}

export interface ComputeServicesTable {
  id: string
  host: string
  binary: string
  zone: string
  disabled: number
  disabled_reason: string | null
  forced_down: number
  credential_hash: string
  agent_session: string | null
  last_seen_at: string | null
  driver: string
  hypervisor_type: string
  hypervisor_version: number
  acceleration: string
  vcpus: number
  memory_mb: number
  local_gb: number
  cpu_info: string
  traits: string
  created_at: string
  updated_at: string
  /** The address other hosts reach this one at (Nova's `my_ip`); null until its agent registers one. */
  host_ip?: string | null
}

export interface InstancesTable {
  uuid: string
  project_id: string
  user_id: string
  display_name: string
  display_description: string | null
  hostname: string
  image_ref: string | null
  /** JSON: the flavor as it was at boot (FlavorSnapshot). */
  flavor: string
  key_name: string | null
  key_data: string | null
  user_data: string | null
  availability_zone: string | null
  host: string | null
  node: string | null
  vm_state: string
  task_state: string | null
  power_state: number
  locked: number
  locked_by: string | null
  locked_reason: string | null
  config_drive: string
  access_ip_v4: string | null
  access_ip_v6: string | null
  /** JSON: the `networks` request as given. */
  networks: string
  root_device_name: string | null
  reservation_id: string
  launch_index: number
  /** JSON: image properties at boot (`image_*`), like Nova's system_metadata. */
  system_metadata: string
  /** JSON: the rescue in progress (RescueRecord), null when not rescued. */
  rescue: string | null
  progress: number
  launched_at: string | null
  terminated_at: string | null
  created_at: string
  updated_at: string
  deleted_at: string | null
  deleted: number
}

export interface InstanceMetadataTable {
  instance_uuid: string
  key: string
  value: string
}

export interface InstanceTagsTable {
  instance_uuid: string
  tag: string
}

export interface InstanceFaultsTable {
  id: string
  instance_uuid: string
  code: number
  message: string
  details: string
  created_at: string
}

export interface BlockDeviceMappingsTable {
  id: string
  instance_uuid: string
  position: number
  boot_index: number | null
  source_type: string
  destination_type: string
  device_type: string
  disk_bus: string
  device_name: string
  guest_format: string | null
  image_id: string | null
  volume_id: string | null
  snapshot_id: string | null
  volume_size: number | null
  delete_on_termination: number
  attachment_id: string | null
  tag: string | null
  created_at: string
}

export interface InstanceActionsTable {
  id: string
  instance_uuid: string
  action: string
  request_id: string
  project_id: string
  user_id: string
  message: string | null
  start_time: string
  finish_time: string | null
  updated_at: string
}

export interface InstanceActionEventsTable {
  id: string
  action_id: string
  event: string
  start_time: string
  finish_time: string | null
  result: string | null
  traceback: string | null
  details: string | null
  host: string | null
}

export interface TasksTable {
  id: string
  instance_uuid: string
  action_id: string | null
  host: string | null
  kind: string
  payload: string
  status: string
  attempts: number
  leased_by: string | null
  lease_expires_at: string | null
  result: string | null
  not_before: string | null
  created_at: string
  updated_at: string
}

/** A security group, Nova's and Neutron's alike (Neutron's columns from migration 2026-12-05-002). */
export interface SecurityGroupsTable {
  id: string
  project_id: string
  name: string
  description: string
  /** 0/1. */
  stateful: number
  revision_number: number
  created_at: string
  updated_at: string
}

/**
 * A security group rule. Neutron's attributes live in Nova's columns:
 * `group_id` = security_group_id, `ip_protocol` = protocol, `from_port`/`to_port`
 * = port_range_min/max, `cidr` = remote_ip_prefix, `source_group_id` = remote_group_id.
 */
export interface SecurityGroupRulesTable {
  id: string
  group_id: string
  ip_protocol: string | null
  from_port: number | null
  to_port: number | null
  cidr: string | null
  source_group_id: string | null
  /** `ingress` or `egress`. */
  direction: string
  /** `IPv4` or `IPv6`. */
  ethertype: string
  description: string
  project_id: string
  revision_number: number
  created_at: string
  updated_at: string
}

export interface InstanceSecurityGroupsTable {
  instance_uuid: string
  group_id: string
}

export interface ComputeTables {
  flavors: FlavorsTable
  flavor_extra_specs: FlavorExtraSpecsTable
  flavor_projects: FlavorProjectsTable
  keypairs: KeypairsTable
  compute_services: ComputeServicesTable
  instances: InstancesTable
  instance_metadata: InstanceMetadataTable
  instance_tags: InstanceTagsTable
  instance_faults: InstanceFaultsTable
  block_device_mappings: BlockDeviceMappingsTable
  instance_actions: InstanceActionsTable
  instance_action_events: InstanceActionEventsTable
  tasks: TasksTable
  security_groups: SecurityGroupsTable
  security_group_rules: SecurityGroupRulesTable
  instance_security_groups: InstanceSecurityGroupsTable
}
