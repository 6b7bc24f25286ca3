import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { authorize } from '../../services/policy.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { serviceView } from './views/service-view.js'
import { firstValue } from './paging.js'
import { isUuidLike } from '../../util/uuid.js'
import { ServiceListResponse, ServiceResponse } from './schemas/host-image-responses.js'

/** `PUT /os-services/{uuid}` (2.53) and, before it, `PUT /os-services/{action}` with `host` and `binary`. */
const ServiceUpdate = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled')])),
  disabled_reason: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  forced_down: Type.Optional(Type.Boolean()),
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  binary: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
}, { additionalProperties: false })

const ServiceQuery = Type.Object({ host: Type.Optional(Type.String()), binary: Type.Optional(Type.String()) })

/** Compute routes: `os-services` (admin), the compute hosts' services. */
export function servicesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const computeHosts = () => ctx.services.computeHosts

  return async (app) => {
    app.get('/os-services', { schema: { querystring: ServiceQuery, response: ServiceListResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:os-services:list', 'admin')
      const hosts = await computeHosts().list({ host: firstValue(req.query.host), binary: firstValue(req.query.binary) })
      return { services: hosts.map((h) => serviceView(h, req.microversion)) }
    })

    app.put('/os-services/:id', { schema: { params: Type.Object({ id: Type.String() }), body: ServiceUpdate, response: ServiceResponse } }, async (req) => {
      const body = req.body
      const id = req.params.id
      if (isAtLeast(req.microversion, '2.53')) {
        if (body.host !== undefined || body.binary !== undefined) throw new InvalidRequest("Invalid input for field/attribute body. Additional properties are not allowed ('host', 'binary' were unexpected)")
        if (!isUuidLike(id)) throw new InvalidRequest(`Invalid uuid ${id}`)
        authorize(req.auth, 'os_compute_api:os-services:update', 'admin')
        const host = await computeHosts().find(id, true)
        if (!host) throw new NotFound(`Service ${id} could not be found.`)
        const updated = await computeHosts().update(req.auth, host, { status: body.status, disabledReason: body.disabled_reason, forcedDown: body.forced_down })
        return { service: serviceView(updated, req.microversion) }
      }
      authorize(req.auth, 'os_compute_api:os-services:update', 'admin')
      const actions = ['enable', 'disable', 'disable-log-reason', ...(isAtLeast(req.microversion, '2.11') ? ['force-down'] : [])]
      if (!actions.includes(id)) throw new NotFound('Unknown action')
      if (body.host === undefined || body.binary === undefined) throw new InvalidRequest("Invalid input for field/attribute body. 'host' and 'binary' are required properties")
      const host = await computeHosts().findByHostAndBinary(body.host, body.binary)
      const result = { host: body.host, binary: body.binary }
      if (id === 'force-down') {
        if (body.forced_down === undefined) throw new InvalidRequest('Missing forced_down field')
        await computeHosts().update(req.auth, host, { forcedDown: body.forced_down })
        return { service: { ...result, forced_down: body.forced_down } }
      }
      if (id === 'disable-log-reason') {
        if (body.disabled_reason === undefined) throw new InvalidRequest('Missing disabled reason field')
        await computeHosts().update(req.auth, host, { status: 'disabled', disabledReason: body.disabled_reason })
        return { service: { ...result, status: 'disabled', disabled_reason: body.disabled_reason } }
      }
      await computeHosts().update(req.auth, host, { status: id === 'enable' ? 'enabled' : 'disabled' })
      return { service: { ...result, status: id === 'enable' ? 'enabled' : 'disabled' } }
    })
  }
}
