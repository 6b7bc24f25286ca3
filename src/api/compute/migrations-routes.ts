import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast, type Microversion } from '../common/microversion.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { firstValue, limitAndMarker, type QueryValue } from './paging.js'
import { dateTimeQuery, rejectUnknownQuery } from './query-checks.js'
import { callOf, computeBase } from './server-route-helpers.js'
import { collectionLinks } from './views/resource-links.js'
import { osMigrationView, serverMigrationView } from './views/migration-view.js'
import { OsMigrationListResponse, ServerMigrationListResponse, ServerMigrationResponse } from './schemas/migrations.js'
import type { MigrationFilters } from '../../services/compute/migration-service.js'

const Query = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))
const ServerParams = Type.Object({ id: Type.String() })
const MigrationParams = Type.Object({ id: Type.String(), mid: Type.String() })
/** Nova's schemas/server_migrations.py `force_complete`. */
const ForceCompleteBody = Type.Object({ force_complete: Type.Null() }, { required: ['force_complete'], additionalProperties: false })

/** nova/api/openstack/compute/schemas/migrations.py: the strict query (2.59+) and what each microversion adds. */
function allowedQuery(mv: Microversion): string[] {
  return [
    'hidden', 'host', 'instance_uuid', 'source_compute', 'status', 'migration_type', 'changes-since', 'limit', 'marker',
    ...(isAtLeast(mv, '2.66') ? ['changes-before'] : []),
    ...(isAtLeast(mv, '2.80') ? ['user_id', 'project_id'] : []),
  ]
}

/** The filters of a `GET /os-migrations` request at its microversion. */
function filtersOf(query: Record<string, QueryValue>, mv: Microversion): MigrationFilters {
  const base: MigrationFilters = {
    status: firstValue(query.status), host: firstValue(query.host), sourceCompute: firstValue(query.source_compute),
    instanceUuid: firstValue(query.instance_uuid), migrationType: firstValue(query.migration_type),
  }
  // Before 2.59 the schema let anything through and Nova dropped changes-since/-before (and knew no user/project filter).
  if (!isAtLeast(mv, '2.59')) return base
  rejectUnknownQuery(query, allowedQuery(mv))
  const changesSince = dateTimeQuery(query, 'changes-since')
  const changesBefore = isAtLeast(mv, '2.66') ? dateTimeQuery(query, 'changes-before') : undefined
  if (changesSince && changesBefore && changesBefore < changesSince) throw new InvalidRequest('The value of changes-since must be less than or equal to changes-before.')
  const users = isAtLeast(mv, '2.80') ? { userId: firstValue(query.user_id), projectId: firstValue(query.project_id) } : {}
  return { ...base, ...users, changesSince, changesBefore, sorted: true, ...limitAndMarker(query) }
}

/** Compute routes: `os-migrations` and `servers/{id}/migrations` (Nova's migrations.py, server_migrations.py). */
export function migrationsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const migrations = () => ctx.services.migrations
  const requireVersion = (mv: Microversion, min: string) => {
    if (!isAtLeast(mv, min)) throw new NotFound('The resource could not be found.')
  }
  return async (app) => {
    app.get('/os-migrations', { schema: { querystring: Query, response: OsMigrationListResponse } }, async (req) => {
      const mv = req.microversion
      const filters = filtersOf(req.query, mv)
      const rows = await migrations().list(req.auth, filters)
      const views = rows.map((m) => osMigrationView(m, mv, computeBase(ctx)))
      const links = filters.sorted ? collectionLinks(computeBase(ctx), 'os-migrations', req.query, rows.length, filters.limit, rows.at(-1)?.uuid) : undefined
      return { migrations: views, ...(links ? { migrations_links: links } : {}) }
    })

    app.get('/servers/:id/migrations', { schema: { params: ServerParams, response: ServerMigrationListResponse } }, async (req) => {
      requireVersion(req.microversion, '2.23')
      const rows = await migrations().listForServer(callOf(req), req.params.id)
      return { migrations: rows.map((m) => serverMigrationView(m, req.microversion)) }
    })
    app.get('/servers/:id/migrations/:mid', { schema: { params: MigrationParams, response: ServerMigrationResponse } }, async (req) => {
      requireVersion(req.microversion, '2.23')
      const row = await migrations().showForServer(callOf(req), req.params.id, req.params.mid)
      return { migration: serverMigrationView(row, req.microversion) }
    })
    // Abort and force-complete act on a live migration in flight (live-migration-abort.ts).
    app.delete('/servers/:id/migrations/:mid', { schema: { params: MigrationParams } }, async (req, reply) => {
      requireVersion(req.microversion, '2.24')
      await ctx.services.compute.abortLiveMigration(callOf(req), req.params.id, req.params.mid, { abortQueued: isAtLeast(req.microversion, '2.65') })
      return reply.status(202).send()
    })
    app.post('/servers/:id/migrations/:mid/action', { schema: { params: MigrationParams, body: ForceCompleteBody } }, async (req, reply) => {
      requireVersion(req.microversion, '2.22')
      await ctx.services.compute.forceCompleteLiveMigration(callOf(req), req.params.id, req.params.mid)
      return reply.status(202).send()
    })
  }
}
