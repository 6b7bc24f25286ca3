import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { CreateServerBody, ServerIdParams, UpdateServerBody } from './schemas/servers.js'
import { CreateServerResponse, ServerDetailListResponse, ServerResponse, ServerSummaryListResponse } from './schemas/server-responses.js'
import { serverSummaryView, serverView } from './views/server-view.js'
import { callOf, computeBase, viewOptions } from './server-route-helpers.js'
import { isAtLeast } from '../common/microversion.js'
import { InvalidRequest } from '../../services/errors.js'
import type { ServerListQuery } from '../../services/compute/server-queries.js'
import { isTrueString } from '../../util/bool-string.js'
import { lastValue as one } from '../../util/query-values.js'

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined
  return isTrueString(value)
}

function csv(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').filter(Boolean)
}

function readListQuery(query: Record<string, string | string[] | undefined>): ServerListQuery {
  const limitText = one(query.limit)
  let limit: number | undefined
  if (limitText !== undefined) {
    limit = Number(limitText)
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidRequest(`Invalid input for query parameters limit. Value: ${limitText}.`)
  }
  const sortDir = one(query.sort_dir)
  if (sortDir !== undefined && sortDir !== 'asc' && sortDir !== 'desc') throw new InvalidRequest(`Invalid input for query parameters sort_dir. Value: ${sortDir}.`)
  return {
    name: one(query.name), status: one(query.status), image: one(query.image), flavor: one(query.flavor), host: one(query.host),
    changesSince: one(query['changes-since']), changesBefore: one(query['changes-before']),
    tags: csv(one(query.tags)), tagsAny: csv(one(query['tags-any'])), notTags: csv(one(query['not-tags'])), notTagsAny: csv(one(query['not-tags-any'])),
    locked: bool(one(query.locked)), reservationId: one(query.reservation_id), allTenants: query.all_tenants !== undefined && bool(one(query.all_tenants) || 'true') !== false,
    projectId: one(query.project_id) ?? one(query.tenant_id), availabilityZone: one(query.availability_zone), keyName: one(query.key_name),
    userId: one(query.user_id), limit, marker: one(query.marker), sortKey: one(query.sort_key), sortDir: sortDir as 'asc' | 'desc' | undefined,
  }
}

function nextLink(ctx: ApiContext, path: string, query: Record<string, string | string[] | undefined>, lastId: string) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (key !== 'marker' && value !== undefined) params.set(key, one(value)!)
  params.set('marker', lastId)
  return [{ rel: 'next', href: `${computeBase(ctx)}/v2.1/${path}?${params.toString()}` }]
}

/** Servers: create, list, detail, show, update, delete (actions and sub-resources have their own routes). */
export function serverRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const compute = () => ctx.services.compute
  return async (app) => {
    app.post('/servers', { schema: { body: CreateServerBody, response: CreateServerResponse } }, async (req, reply) => {
      const body = req.body.server
      if (isAtLeast(req.microversion, '2.37') && body.networks === undefined) throw new InvalidRequest("Invalid input for field/attribute server. Value: missing 'networks'. 'networks' is a required property")
      if (!isAtLeast(req.microversion, '2.37') && typeof body.networks === 'string') throw new InvalidRequest(`Invalid input for field/attribute networks. Value: ${body.networks}. '${body.networks}' is not of type 'array'`)
      if (!isAtLeast(req.microversion, '2.19') && body.description !== undefined) throw new InvalidRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)")
      if (!isAtLeast(req.microversion, '2.52') && body.tags !== undefined) throw new InvalidRequest("Invalid input for field/attribute server. Additional properties are not allowed ('tags' was unexpected)")
      if (isAtLeast(req.microversion, '2.57') && body.personality !== undefined) throw new InvalidRequest("Invalid input for field/attribute server. Additional properties are not allowed ('personality' was unexpected)")
      const imageRef = typeof body.imageRef === 'string' && body.imageRef !== '' ? body.imageRef.slice(body.imageRef.lastIndexOf('/') + 1) : null
      if (!imageRef && !body.block_device_mapping_v2?.length && !body.block_device_mapping?.length) throw new InvalidRequest('Missing imageRef attribute')
      const created = await compute().createServer(callOf(req), {
        name: body.name, imageRef, flavorRef: String(body.flavorRef), adminPass: body.adminPass, metadata: body.metadata,
        userData: body.user_data ?? null, keyName: body.key_name ?? null, availabilityZone: body.availability_zone ?? null, networks: body.networks,
        securityGroups: body.security_groups?.map((g) => g.name), blockDeviceMappings: body.block_device_mapping_v2,
        configDrive: body.config_drive === true || (typeof body.config_drive === 'string' && ['true', '1', 'yes'].includes(body.config_drive.toLowerCase())),
        description: body.description ?? null, tags: body.tags, accessIPv4: body.accessIPv4 ?? null, accessIPv6: body.accessIPv6 ?? null,
        minCount: body.min_count === undefined ? undefined : Number(body.min_count), maxCount: body.max_count === undefined ? undefined : Number(body.max_count),
      })
      const first = created[0]!
      reply.status(202).header('Location', `${computeBase(ctx)}/v2.1/servers/${first.id}`)
      if (body.return_reservation_id !== undefined && String(body.return_reservation_id).toLowerCase() !== 'false') return { reservation_id: first.reservationId }
      return {
        server: {
          id: first.id,
          links: [{ rel: 'self', href: `${computeBase(ctx)}/v2.1/servers/${first.id}` }, { rel: 'bookmark', href: `${computeBase(ctx)}/servers/${first.id}` }],
          'OS-DCF:diskConfig': 'MANUAL',
          security_groups: first.securityGroups.map((name) => ({ name })),
          ...(ctx.config.compute.enableInstancePassword ? { adminPass: first.adminPass } : {}),
        },
      }
    })

    app.get('/servers', { schema: { response: ServerSummaryListResponse } }, async (req) => {
      const query = req.query as Record<string, string | undefined>
      const { servers, hasMore } = await compute().listServers(callOf(req), readListQuery(query))
      return {
        servers: servers.map((s) => serverSummaryView(s, computeBase(ctx))),
        ...(hasMore ? { servers_links: nextLink(ctx, 'servers', query, servers[servers.length - 1]!.row.uuid) } : {}),
      }
    })

    app.get('/servers/detail', { schema: { response: ServerDetailListResponse } }, async (req) => {
      const query = req.query as Record<string, string | undefined>
      const { servers, hasMore } = await compute().listServers(callOf(req), readListQuery(query))
      const options = await viewOptions(ctx, req, true, false)
      return {
        servers: servers.map((s) => serverView(s, options)),
        ...(hasMore ? { servers_links: nextLink(ctx, 'servers/detail', query, servers[servers.length - 1]!.row.uuid) } : {}),
      }
    })

    app.get('/servers/:id', { schema: { params: ServerIdParams, response: ServerResponse } }, async (req) => {
      const details = await compute().showServer(callOf(req), req.params.id)
      return { server: serverView(details, await viewOptions(ctx, req, true, true)) }
    })

    app.put('/servers/:id', { schema: { params: ServerIdParams, body: UpdateServerBody, response: ServerResponse } }, async (req) => {
      const patch = req.body.server
      if (!isAtLeast(req.microversion, '2.19') && patch.description !== undefined) throw new InvalidRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)")
      if (!isAtLeast(req.microversion, '2.90') && patch.hostname !== undefined) throw new InvalidRequest("Invalid input for field/attribute server. Additional properties are not allowed ('hostname' was unexpected)")
      const details = await compute().updateServer(callOf(req), req.params.id, { name: patch.name, description: patch.description, accessIPv4: patch.accessIPv4, accessIPv6: patch.accessIPv6 })
      // Before 2.75 Nova answers update with the reduced view.
      const full = isAtLeast(req.microversion, '2.75')
      return { server: serverView(details, await viewOptions(ctx, req, full, true)) }
    })

    app.delete('/servers/:id', { schema: { params: ServerIdParams } }, async (req, reply) => {
      await compute().deleteServer(callOf(req), req.params.id)
      reply.status(204).send()
    })
  }
}
