import type { FastifyRequest } from 'fastify'
import type { ProviderRow } from '../../services/placement/placement-service.js'
import { atLeast } from './request-helpers.js'

/**
 * Placement links are relative to where it is mounted (util.resource_provider_url);
 * `Location` headers are absolute, as webob makes them and as keystoneauth needs.
 */
export const MOUNT = '/placement'

/** A resource provider as `GET /resource_providers/{uuid}` shows it at the request's microversion. */
/** What providerView builds (`parent_provider_uuid` and `root_provider_uuid` from 1.14). */
export interface ProviderView {
  uuid: string
  name: string
  generation: number
  links: Array<{ rel: string; href: string }>
  parent_provider_uuid?: string | null
  root_provider_uuid?: string | null
}

export function providerView(req: FastifyRequest, row: ProviderRow): ProviderView {
  const url = `${MOUNT}/resource_providers/${row.uuid}`
  const rels = ['inventories', 'usages']
  if (atLeast(req, '1.1')) rels.push('aggregates')
  if (atLeast(req, '1.6')) rels.push('traits')
  if (atLeast(req, '1.11')) rels.push('allocations')
  const view: ProviderView = {
    uuid: row.uuid,
    name: row.name,
    generation: row.generation,
    links: [{ rel: 'self', href: url }, ...rels.map((rel) => ({ rel, href: `${url}/${rel}` }))],
  }
  if (atLeast(req, '1.14')) {
    view.parent_provider_uuid = row.parent_provider_uuid
    view.root_provider_uuid = row.root_provider_uuid
  }
  return view
}

/** A resource class with its self link. */
export function resourceClassView(name: string): { name: string; links: Array<{ rel: string; href: string }> } {
  return { name, links: [{ rel: 'self', href: `${MOUNT}/resource_classes/${name}` }] }
}
