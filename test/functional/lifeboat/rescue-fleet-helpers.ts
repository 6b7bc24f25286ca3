import assert from 'node:assert/strict'
import type { Session } from '../../helpers/cloud.js'
import { bootServer } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'

/** Boots `count` servers named `<prefix>-<n>`; answers their ids in boot order. */
export async function bootFleet(session: Session, imageId: string, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let n = 0; n < count; n++) ids.push((await bootServer(session, { imageRef: imageId, name: `${prefix}-${n}` })).id)
  return ids
}

/** Creates a fleet run; answers it (201 asserted). */
export async function createFleet(session: Session, body: Record<string, unknown>): Promise<any> {
  const response = await session.request('POST', '/lifeboat/v1/rescue-runs', { body })
  assert.equal(response.status, 201, response.text)
  return response.body.rescue_run
}

const FINAL = ['succeeded', 'completed', 'failed', 'cancelled']

/** Waits until a fleet run is final; answers it with its servers. */
export async function waitForFleet(session: Session, id: string, timeoutMs = 20_000): Promise<any> {
  let last: any
  return waitUntil(async () => {
    const response = await session.request('GET', `/lifeboat/v1/rescue-runs/${id}`)
    assert.equal(response.status, 200, response.text)
    last = response.body.rescue_run
    return FINAL.includes(last.state) ? last : undefined
  }, { timeoutMs, intervalMs: 50, what: () => `rescue run ${id} final (last: ${JSON.stringify(last?.counts)} ${last?.state})` })
}

/** The actions of a server, newest first. */
export async function actionsOf(session: Session, serverId: string): Promise<string[]> {
  const response = await session.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`)
  return response.body.instanceActions.map((a: any) => a.action)
}

/** Room for many servers in a project (the default quota is 10 instances). */
export async function raiseQuotas(admin: Session, projectId: string): Promise<void> {
  const response = await admin.request('PUT', `/compute/v2.1/os-quota-sets/${projectId}`, { body: { quota_set: { instances: 1000, cores: 4000, ram: 4_000_000 } } })
  assert.equal(response.status, 200, response.text)
}
