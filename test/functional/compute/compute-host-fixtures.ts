import { randomUUID } from 'node:crypto'
import type { TestCloud } from '../../helpers/cloud.js'

/** Registers a compute service row directly (as the agent would), heart-beating now unless `lastSeenAt` says otherwise. */
export async function insertComputeHost(cloud: TestCloud, host: string, options: { lastSeenAt?: string | null; vcpus?: number; memoryMb?: number; localGb?: number } = {}): Promise<string> {
  const id = randomUUID()
  const now = new Date().toISOString()
  await cloud.running.database.db.insertInto('compute_services').values({
    id, host, binary: 'nova-compute', zone: 'nova', disabled: 0, disabled_reason: null, forced_down: 0, credential_hash: 'x'.repeat(64),
    agent_session: null, last_seen_at: options.lastSeenAt === undefined ? now : options.lastSeenAt, driver: 'fake', hypervisor_type: 'fake',
    hypervisor_version: 1000, acceleration: 'none', vcpus: options.vcpus ?? 8, memory_mb: options.memoryMb ?? 16384, local_gb: options.localGb ?? 100,
    cpu_info: JSON.stringify({ arch: 'x86_64', model: 'fake', vendor: 'Lifeboat', topology: { cells: 1, sockets: 1, cores: 8, threads: 1 }, features: [] }),
    traits: '[]', created_at: now, updated_at: now,
  }).execute()
  return id
}

/** A live instance row on a host, for usage counts (flavor as the server code stores it). */
export async function insertInstance(cloud: TestCloud, projectId: string, userId: string, host: string | null, flavor: { vcpus: number; ram: number; disk: number }, deleted = 0): Promise<string> {
  const uuid = randomUUID()
  const now = new Date().toISOString()
  await cloud.running.database.db.insertInto('instances').values({
    uuid, project_id: projectId, user_id: userId, display_name: `vm-${uuid.slice(0, 8)}`, display_description: null, hostname: 'vm',
    image_ref: null, flavor: JSON.stringify({ id: 'x', name: 'x', ephemeral: 0, swap: 0, extraSpecs: {}, ...flavor }), key_name: null,
    key_data: null, user_data: null, availability_zone: null, host, node: host, vm_state: 'active', task_state: null, power_state: 1, locked: 0,
    locked_by: null, locked_reason: null, config_drive: '', access_ip_v4: null, access_ip_v6: null, networks: '"none"', root_device_name: null,
    reservation_id: 'r-test', launch_index: 0, system_metadata: '{}', rescue: null, progress: 0, launched_at: now, terminated_at: null,
    created_at: now, updated_at: now, deleted_at: deleted ? now : null, deleted,
  }).execute()
  return uuid
}
