import assert from 'node:assert/strict'
import type { TestCloud } from '../../helpers/cloud.js'

const SERVERS = '/compute/v2.1/servers'

/** Waits until the server has no task_state (and, if given, is in `status`). */
export async function waitForIdle(cloud: TestCloud, id: string, status?: string, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const server = (await cloud.admin.request('GET', `${SERVERS}/${id}`)).body.server
    if (server['OS-EXT-STS:task_state'] === null && (status === undefined || server.status === status)) return server
    if (Date.now() > deadline) assert.fail(`server ${id} still ${server.status}/${server['OS-EXT-STS:task_state']}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The allocations placement holds for a consumer. */
export async function allocationsOf(cloud: TestCloud, id: string): Promise<Record<string, unknown>> {
  return (await cloud.admin.request('GET', `/placement/allocations/${id}`)).body.allocations as Record<string, unknown>
}

/** Waits until placement holds no allocation for the consumer (released after the result's transaction). */
export async function allocationsGone(cloud: TestCloud, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000
  while (Object.keys(await allocationsOf(cloud, id)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return allocationsOf(cloud, id)
}

/**
 * The rule of issue 15: every provider's usages equal the sum of the flavors
 * of the live servers placed on it (an offloaded server counts on none).
 */
export async function assertUsagesMatchServers(cloud: TestCloud): Promise<void> {
  const servers = (await cloud.admin.request('GET', `${SERVERS}/detail?all_tenants=1`, { microversion: '2.47' })).body.servers as any[]
  const expected = new Map<string, { VCPU: number; MEMORY_MB: number; DISK_GB: number }>()
  for (const server of servers) {
    const host = server['OS-EXT-SRV-ATTR:host'] as string | null
    if (!host || server.status === 'SHELVED_OFFLOADED') continue
    const sum = expected.get(host) ?? { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 }
    const volumeBacked = server.image === '' || server.image === null
    sum.VCPU += server.flavor.vcpus
    sum.MEMORY_MB += server.flavor.ram
    sum.DISK_GB += (volumeBacked ? 0 : server.flavor.disk) + server.flavor.ephemeral + Math.ceil(server.flavor.swap / 1024)
    expected.set(host, sum)
  }
  const providers = (await cloud.admin.request('GET', '/placement/resource_providers')).body.resource_providers as Array<{ uuid: string; name: string }>
  for (const provider of providers) {
    const usages = (await cloud.admin.request('GET', `/placement/resource_providers/${provider.uuid}/usages`)).body.usages as Record<string, number>
    const want = expected.get(provider.name) ?? { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 }
    assert.deepEqual({ VCPU: usages.VCPU ?? 0, MEMORY_MB: usages.MEMORY_MB ?? 0, DISK_GB: usages.DISK_GB ?? 0 }, want, `usages of ${provider.name}`)
  }
}

/** The `binding:host_id` of each of the server's ports. */
export async function portHosts(cloud: TestCloud, id: string): Promise<string[]> {
  const ports = (await cloud.admin.request('GET', `/network/v2.0/ports?device_id=${id}`)).body.ports as Array<Record<string, string>>
  return ports.map((p) => p['binding:host_id']!)
}

/** Names of the server's instance actions, newest first. */
export async function actionNames(cloud: TestCloud, id: string): Promise<string[]> {
  return ((await cloud.admin.request('GET', `${SERVERS}/${id}/os-instance-actions`)).body.instanceActions as Array<{ action: string }>).map((a) => a.action)
}

/** The events of the server's newest action. */
export async function newestActionEvents(cloud: TestCloud, id: string): Promise<Array<{ event: string; result: string }>> {
  const actions = (await cloud.admin.request('GET', `${SERVERS}/${id}/os-instance-actions`)).body.instanceActions as Array<{ request_id: string }>
  return (await cloud.admin.request('GET', `${SERVERS}/${id}/os-instance-actions/${actions[0]!.request_id}`, { microversion: '2.51' })).body.instanceAction.events
}

/** Waits until the image is gone (the shelve image is deleted just after the unshelve's transaction). */
export async function imageGone(cloud: TestCloud, imageId: string): Promise<number> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const status = (await cloud.demo.request('GET', `/image/v2/images/${imageId}`)).status
    if (status === 404 || Date.now() > deadline) return status
    await new Promise((r) => setTimeout(r, 50))
  }
}
