import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { parseLimit, parseSort } from '../../services/volume/volume-list.js'
import { SNAPSHOT_SORT_KEYS } from '../../services/volume/volume-snapshots.js'
import { IdParams, ProjectParams, SnapshotAction, SnapshotCreate, SnapshotUpdate } from './schemas.js'
import { queryBool, queryParam, queryParams, strictBool, viewContext } from './request-helpers.js'
import { collectionLinks, snapshotShowView, snapshotView } from './views.js'
import { SnapshotListResponse, SnapshotResponse } from './response-schemas.js'

// cinder/api/v3/snapshots.py SNAPSHOT_IN_USE_FLAG_MSG.
const SNAPSHOT_IN_USE_FLAG_MSG = "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, " +
  "however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored."

/** Volume snapshots: list, detail, show, create, update, delete, `os-force_delete`. */
export function snapshotRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const snapshots = ctx.services.volumes.snapshots
  return async (app) => {
    const list = async (req: FastifyRequest, detail: boolean) => {
      const page = { limit: parseLimit(queryParam(req, 'limit')), marker: queryParam(req, 'marker'), sort: parseSort(queryParams(req), SNAPSHOT_SORT_KEYS) }
      const filter = { name: queryParam(req, 'name'), status: queryParam(req, 'status'), volumeId: queryParam(req, 'volume_id'), allTenants: queryBool(req, 'all_tenants') }
      const { snapshots: found, total } = await snapshots.list(req.auth, filter, page)
      const view = viewContext(ctx, req)
      const body: { snapshots: Array<Record<string, unknown>>; snapshots_links?: Array<{ href: string; rel: string }>; count?: number } = { snapshots: found.map((s) => (detail ? snapshotShowView(view, s) : snapshotView(view, s))) }
      const links = collectionLinks(view, detail ? 'snapshots/detail' : 'snapshots', found, page.limit, queryParams(req))
      if (links) body.snapshots_links = links
      if (isAtLeast(req.microversion, '3.45') && queryBool(req, 'with_count')) body.count = total
      return body
    }
    app.get('/snapshots', { schema: { params: ProjectParams, response: SnapshotListResponse } }, (req) => list(req, false))
    app.get('/snapshots/detail', { schema: { params: ProjectParams, response: SnapshotListResponse } }, (req) => list(req, true))

    app.get('/snapshots/:id', { schema: { params: IdParams, response: SnapshotResponse } }, async (req) => {
      return { snapshot: snapshotShowView(viewContext(ctx, req), await snapshots.show(req.auth, req.params.id)) }
    })

    app.post('/snapshots', { schema: { params: ProjectParams, body: SnapshotCreate, response: SnapshotResponse } }, async (req, reply) => {
      const s = req.body.snapshot
      const force = strictBool(s.force, 'force')
      const allowInUse = isAtLeast(req.microversion, '3.66')
      if (allowInUse && force === false) throw new InvalidRequest(SNAPSHOT_IN_USE_FLAG_MSG)
      const snapshot = await snapshots.create(req.auth, {
        volumeId: s.volume_id, name: (s.name ?? s.display_name)?.trim() ?? null, description: s.description?.trim() ?? null,
        force: force ?? false, metadata: s.metadata ?? null, allowInUse,
      })
      reply.status(202)
      return { snapshot: snapshotView(viewContext(ctx, req), snapshot) }
    })

    app.put('/snapshots/:id', { schema: { params: IdParams, body: SnapshotUpdate, response: SnapshotResponse } }, async (req) => {
      const s = req.body.snapshot
      const snapshot = await snapshots.update(req.auth, req.params.id, {
        name: s.name !== undefined ? s.name : s.display_name,
        description: s.description !== undefined ? s.description : s.display_description,
      })
      return { snapshot: snapshotView(viewContext(ctx, req), snapshot) }
    })

    app.delete('/snapshots/:id', { schema: { params: IdParams } }, async (req, reply) => {
      await snapshots.delete(req.auth, req.params.id)
      reply.status(202).send()
    })

    app.post('/snapshots/:id/action', { schema: { params: IdParams, body: SnapshotAction } }, async (req, reply) => {
      const name = Object.keys(req.body ?? {})[0]
      if (name !== 'os-force_delete') throw new InvalidRequest(`There is no such action: ${name ?? ''}`)
      await snapshots.delete(req.auth, req.params.id, true)
      reply.status(202).send()
    })
  }
}
