import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast } from '../common/microversion.js'
import { NotFound } from '../../services/errors.js'

const IdParams = Type.Object({ id: Type.String() })
/** Nova's `floating_ips.create` schema: an optional pool name (or null). */
const CreateBody = Type.Union([
  Type.Null(),
  Type.Object({ pool: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])) }, { additionalProperties: true }),
])

const FloatingIp = Type.Object({
  id: Type.String(), ip: Type.String(), pool: Type.String(), fixed_ip: Type.Union([Type.String(), Type.Null()]), instance_id: Type.Union([Type.String(), Type.Null()]),
}, { additionalProperties: false })
const OneResponse = { 200: Type.Object({ floating_ip: FloatingIp }, { additionalProperties: false }) }
const ListResponse = { 200: Type.Object({ floating_ips: Type.Array(FloatingIp) }, { additionalProperties: false }) }
const PoolsResponse = { 200: Type.Object({ floating_ip_pools: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false })) }, { additionalProperties: false }) }

/** The proxy APIs end at 2.35 (MAX_PROXY_API_SUPPORT_VERSION); later versions are a plain 404, as Nova. */
function assertProxyVersion(req: FastifyRequest): void {
  if (isAtLeast(req.microversion, '2.36')) throw new NotFound('The resource could not be found.')
}

/** Nova's ≤ 2.35 proxies `os-floating-ips` and `os-floating-ip-pools`, over the network service. */
export function floatingIpsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const fips = () => ctx.services.novaFloatingIps
  return async (app) => {
    app.get('/os-floating-ips', { schema: { response: ListResponse } }, async (req) => {
      assertProxyVersion(req)
      return { floating_ips: await fips().list(req.auth) }
    })
    app.get('/os-floating-ips/:id', { schema: { params: IdParams, response: OneResponse } }, async (req) => {
      assertProxyVersion(req)
      return { floating_ip: await fips().show(req.auth, req.params.id) }
    })
    // Nova answers 200 to a create here, not 201.
    app.post('/os-floating-ips', { schema: { body: CreateBody, response: OneResponse } }, async (req) => {
      assertProxyVersion(req)
      return { floating_ip: await fips().allocate(req.auth, req.body?.pool ?? undefined) }
    })
    app.delete('/os-floating-ips/:id', { schema: { params: IdParams } }, async (req, reply) => {
      assertProxyVersion(req)
      await fips().release(req.auth, req.params.id)
      reply.status(202).send()
    })
    app.get('/os-floating-ip-pools', { schema: { response: PoolsResponse } }, async (req) => {
      assertProxyVersion(req)
      return { floating_ip_pools: (await fips().pools(req.auth)).map((name) => ({ name })) }
    })
  }
}
