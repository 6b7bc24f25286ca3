import { createHash } from 'node:crypto'

/** One service of the catalog, with its endpoint URLs for each interface. */
export interface CatalogEntry {
  id: string
  type: string
  name: string
  endpoints: Array<{ id: string; interface: string; region: string; region_id: string; url: string }>
}

interface ServiceDefinition {
  type: string
  name: string
  /** Path under the public URL; `{project_id}` is filled in for scoped tokens. */
  path: string
}

const SERVICES: ServiceDefinition[] = [
  { type: 'identity', name: 'keystone', path: '/identity' },
  { type: 'compute', name: 'nova', path: '/compute/v2.1' },
  { type: 'image', name: 'glance', path: '/image' },
  { type: 'volumev3', name: 'cinderv3', path: '/volume/v3/{project_id}' },
  { type: 'block-storage', name: 'cinder', path: '/volume/v3/{project_id}' },
  { type: 'placement', name: 'placement', path: '/placement' },
  // Unversioned: clients append `v2.0/` (gophercloud's NewNetworkV2, the SDK).
  { type: 'network', name: 'neutron', path: '/network' },
]

const INTERFACES = ['public', 'internal', 'admin'] as const

function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32)
}

function entries(publicUrl: string, region: string, services: ServiceDefinition[], projectPart: string): CatalogEntry[] {
  return services.map((service) => ({
    id: stableId('service', service.type),
    type: service.type,
    name: service.name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId('endpoint', service.type, iface),
      interface: iface,
      region,
      region_id: region,
      url: publicUrl + service.path.replace('{project_id}', projectPart),
    })),
  }))
}

/** The service catalog for a token, URLs built from the public URL (project-scoped URLs only for scoped tokens). */
export function buildCatalog(publicUrl: string, region: string, projectId: string | null): CatalogEntry[] {
  return entries(publicUrl, region, SERVICES.filter((s) => projectId !== null || !s.path.includes('{project_id}')), projectId ?? '')
}

/** The catalog's services and endpoints as Keystone's `/v3/services` and `/v3/endpoints` list them. */
export function catalogServices(publicUrl: string, region: string): CatalogEntry[] {
  return entries(publicUrl, region, SERVICES, '$(project_id)s')
}
