import { isIP } from 'node:net'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import type { ComputeHost } from '../../services/compute/compute-hosts.js'
import { isAtLeast } from '../common/microversion.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { hypervisorStatisticsView, hypervisorView } from './views/hypervisor-view.js'
import { collectionLinks } from './views/resource-links.js'
import { firstValue, limitAndMarker, type QueryValue } from './paging.js'
import { strictBoolString } from '../../util/bool-string.js'
import { isUuidLike } from '../../util/uuid.js'
import { HypervisorListResponse, HypervisorResponse, HypervisorStatisticsResponse } from './schemas/host-image-responses.js'

const Query = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
const IdParams = Type.Object({ id: Type.String() })

function withServersOf(req: FastifyRequest, query: Record<string, QueryValue>): boolean {
  if (!isAtLeast(req.microversion, '2.53')) return false
  const raw = firstValue(query.with_servers)
  if (raw === undefined) return false
  const parsed = strictBoolString(raw)
  if (parsed === undefined) throw new InvalidRequest(`Invalid input for query parameters with_servers. Value: ${raw}.`)
  return parsed
}

/** Compute routes: `os-hypervisors` (admin), one hypervisor per compute service. */
export function hypervisorsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const computeHosts = () => ctx.services.computeHosts
  const base = () => `${ctx.publicUrl()}/compute`
  // The address the host's agent registered (Nova's compute_nodes.host_ip), else the control plane's own (one host).
  const ownIp = () => (isIP(ctx.config.host) && ctx.config.host !== '0.0.0.0' && ctx.config.host !== '::' ? ctx.config.host : '127.0.0.1')
  const hostIp = (host: ComputeHost) => host.row.host_ip ?? ownIp()

  async function list(req: FastifyRequest, query: Record<string, QueryValue>, detail: boolean) {
    authorize(req.auth, `os_compute_api:os-hypervisors:${detail ? 'list-detail' : 'list'}`, 'admin')
    const mv = req.microversion
    const paged = isAtLeast(mv, '2.33')
    const pattern = isAtLeast(mv, '2.53') ? firstValue(query.hypervisor_hostname_pattern) : undefined
    const withServers = withServersOf(req, query)
    let hosts = await computeHosts().list()
    let links
    if (pattern !== undefined) {
      if (query.limit !== undefined || query.marker !== undefined) {
        throw new InvalidRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.')
      }
      hosts = hosts.filter((h) => h.row.host.includes(pattern))
      if (!hosts.length) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`)
    } else if (paged) {
      const { limit, marker } = limitAndMarker(query)
      if (marker !== undefined) {
        const index = hosts.findIndex((h) => (isAtLeast(mv, '2.53') ? h.row.id : String(h.legacyId)) === marker)
        if (index < 0) throw new InvalidRequest(`marker [${marker}] not found`)
        hosts = hosts.slice(index + 1)
      }
      if (limit !== undefined) hosts = hosts.slice(0, limit)
      const last = hosts.at(-1)
      const lastId = last === undefined ? undefined : isAtLeast(mv, '2.53') ? last.row.id : String(last.legacyId)
      links = collectionLinks(base(), detail ? 'os-hypervisors/detail' : 'os-hypervisors', query, hosts.length, limit, lastId)
    }
    const usages = detail ? await computeHosts().usages() : undefined
    const servers = withServers ? await computeHosts().serversOn(hosts) : undefined
    const hypervisors = hosts.map((h) => hypervisorView(h, mv, {
      detail, usage: usages?.get(h.row.host), hostIp: hostIp(h), servers: servers ? servers.get(h.row.host) ?? [] : undefined,
    }))
    return { hypervisors, ...(links ? { hypervisors_links: links } : {}) }
  }

  return async (app) => {
    app.get('/os-hypervisors', { schema: { querystring: Query, response: HypervisorListResponse } }, (req) => list(req, req.query, false))
    app.get('/os-hypervisors/detail', { schema: { querystring: Query, response: HypervisorListResponse } }, (req) => list(req, req.query, true))
    app.get('/os-hypervisors/statistics', { schema: { response: HypervisorStatisticsResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:os-hypervisors:statistics', 'admin')
      return hypervisorStatisticsView(await computeHosts().list(), await computeHosts().usages())
    })
    app.get('/os-hypervisors/:id', { schema: { params: IdParams, querystring: Query, response: HypervisorResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:os-hypervisors:show', 'admin')
      const id = req.params.id
      const uuids = isAtLeast(req.microversion, '2.53')
      if (uuids && !isUuidLike(id)) throw new InvalidRequest(`Invalid uuid ${id}`)
      const host = (await computeHosts().list()).find((h) => (uuids ? h.row.id === id : String(h.legacyId) === id))
      if (!host) throw new NotFound(`Hypervisor with ID '${id}' could not be found.`)
      const servers = withServersOf(req, req.query) ? (await computeHosts().serversOn([host])).get(host.row.host) ?? [] : undefined
      const usage = (await computeHosts().usages()).get(host.row.host)
      return { hypervisor: hypervisorView(host, req.microversion, { detail: true, usage, hostIp: hostIp(host), servers }) }
    })
    // Before 2.53: search by hostname substring, and the same with each host's servers.
    for (const suffix of ['search', 'servers'] as const) {
      app.get(`/os-hypervisors/:id/${suffix}`, { schema: { params: IdParams, response: HypervisorListResponse } }, async (req) => {
        if (isAtLeast(req.microversion, '2.53')) throw new NotFound('The resource could not be found.')
        authorize(req.auth, `os_compute_api:os-hypervisors:${suffix}`, 'admin')
        const hosts = (await computeHosts().list()).filter((h) => h.row.host.includes(req.params.id))
        if (!hosts.length) throw new NotFound(`No hypervisor matching '${req.params.id}' could be found.`)
        const servers = suffix === 'servers' ? await computeHosts().serversOn(hosts) : undefined
        return { hypervisors: hosts.map((h) => hypervisorView(h, req.microversion, { detail: false, hostIp: hostIp(h), servers: servers?.get(h.row.host) })) }
      })
    }
  }
}
