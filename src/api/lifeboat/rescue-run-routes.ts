import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { callOf } from '../compute/server-route-helpers.js'
import { RunOptionsProperties, runOptionsOf } from '../compute/schemas/rescue-run.js'
import { InvalidRequest } from '../../services/errors.js'
import { strictBoolString } from '../../util/bool-string.js'
import { RescueRunListResponse, RescueRunResponse, ServerRunsResponse } from './response-schemas.js'

/** `POST /lifeboat/v1/rescue-runs`: the run's options, the servers it takes, its rate and its error budget. */
const CreateRescueRunBody = Type.Object({
  ...RunOptionsProperties,
  servers: Type.Object({
    ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 36 }), { minItems: 1, maxItems: 10000 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 60 })),
    status: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  }, { additionalProperties: false }),
  max_in_flight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  error_budget: Type.Optional(Type.Object({
    count: Type.Optional(Type.Integer({ minimum: 0 })),
    percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  }, { additionalProperties: false })),
  canary: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  all_projects: Type.Optional(Type.Boolean()),
  rescue_image_ref: Type.Optional(Type.String({ format: 'uuid' })),
}, { additionalProperties: false })

const IdParams = Type.Object({ id: Type.String() })

/**
 * The rescue-run routes (docs/rescue-runs.md): a server's runs (owner or
 * admin), and fleet runs — create, list, show, cancel.
 */
export function rescueRunRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const runs = () => ctx.services.compute.rescueRuns
  return async (app) => {
    app.get('/servers/:id/runs', { schema: { params: IdParams, response: ServerRunsResponse } },
      async (req) => ({ runs: await runs().serverRuns(callOf(req), req.params.id) }))

    app.post('/rescue-runs', { schema: { body: CreateRescueRunBody, response: RescueRunResponse } }, async (req, reply) => {
      const body = req.body
      const budget = body.error_budget
      if (budget && budget.count !== undefined && budget.percent !== undefined) throw new InvalidRequest('Invalid input for field/attribute error_budget. Give count or percent, not both.')
      const run = await runs().create(callOf(req), {
        ...runOptionsOf(body), servers: body.servers, maxInFlight: body.max_in_flight ?? 1,
        errorBudget: budget && (budget.count !== undefined || budget.percent !== undefined) ? budget : null,
        canary: body.canary ?? 1, allProjects: body.all_projects ?? false, ...(body.rescue_image_ref ? { rescueImageRef: body.rescue_image_ref } : {}),
      })
      reply.status(201)
      return { rescue_run: run }
    })

    app.get('/rescue-runs', { schema: { querystring: Type.Object({ all_projects: Type.Optional(Type.String()) }), response: RescueRunListResponse } }, async (req) => {
      const flag = req.query.all_projects
      const allProjects = flag !== undefined && (flag === '' || strictBoolString(flag) === true)
      if (flag !== undefined && flag !== '' && strictBoolString(flag) === undefined) throw new InvalidRequest(`Invalid value for all_projects: ${flag}.`)
      return { rescue_runs: await runs().list(callOf(req), allProjects) }
    })

    app.get('/rescue-runs/:id', { schema: { params: IdParams, response: RescueRunResponse } },
      async (req) => ({ rescue_run: await runs().show(callOf(req), req.params.id) }))

    app.post('/rescue-runs/:id/cancel', { schema: { params: IdParams, response: RescueRunResponse } }, async (req, reply) => {
      const run = await runs().cancel(callOf(req), req.params.id)
      reply.status(202)
      return { rescue_run: run }
    })
  }
}
