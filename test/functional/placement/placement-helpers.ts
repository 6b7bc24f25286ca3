import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Session } from '../../helpers/cloud.js'

/** The microversion most tests speak. */
export const LATEST = '1.39'

/** Creates a provider and returns its view (1.20+ body). */
export async function createProvider(admin: Session, name: string, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await admin.request('POST', '/placement/resource_providers', { body: { name, ...extra }, microversion: LATEST })
  assert.equal(res.status, 200, res.text)
  return res.body
}

/** Creates a provider with inventories (and traits); returns its uuid and current generation. */
export async function createHost(admin: Session, name: string, inventories: Record<string, Record<string, number>>, traits: string[] = []): Promise<{ uuid: string; generation: number }> {
  const rp = await createProvider(admin, name)
  const inv = await admin.request('PUT', `/placement/resource_providers/${rp.uuid}/inventories`, {
    body: { resource_provider_generation: rp.generation, inventories }, microversion: LATEST,
  })
  assert.equal(inv.status, 200, inv.text)
  let generation = inv.body.resource_provider_generation
  if (traits.length > 0) {
    for (const t of traits.filter((x) => x.startsWith('CUSTOM_'))) await admin.request('PUT', `/placement/traits/${t}`, { microversion: LATEST })
    const tr = await admin.request('PUT', `/placement/resource_providers/${rp.uuid}/traits`, {
      body: { resource_provider_generation: generation, traits }, microversion: LATEST,
    })
    assert.equal(tr.status, 200, tr.text)
    generation = tr.body.resource_provider_generation
  }
  return { uuid: rp.uuid, generation }
}

/** A fresh consumer uuid. */
export function consumer(): string {
  return randomUUID()
}

/** The single error entry of a Placement error body. */
export function placementError(body: any): { status: number; title: string; detail: string; code?: string; request_id: string } {
  assert.ok(Array.isArray(body?.errors), `not a placement error body: ${JSON.stringify(body)}`)
  assert.equal(body.errors.length, 1)
  return body.errors[0]
}
