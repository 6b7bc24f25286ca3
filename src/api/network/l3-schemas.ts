import { Type, type TSchema } from '@sinclair/typebox'

/*
 * Request and response schemas of `/v2.0/routers` (l3, extraroute,
 * ext-gw-mode) and `/v2.0/floatingips` (l3, fip-port-details): closed
 * objects, as the core collections' (schemas.ts).
 */

const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const ProjectId = Type.String({ maxLength: 255 })
const Id = Type.String({ maxLength: 36 })
const Links = Type.Array(Closed({ href: Type.String(), rel: Type.String() }))

const FixedIp = Closed({ subnet_id: Opt(Id), ip_address: Opt(Type.String({ maxLength: 64 })) })
const GatewayInfo = Type.Union([
  Type.Null(),
  Closed({ network_id: Opt(Id), enable_snat: Opt(Type.Boolean()), external_fixed_ips: Opt(Type.Array(FixedIp)) }),
])
const Route = Closed({ destination: Type.String({ maxLength: 64 }), nexthop: Type.String({ maxLength: 64 }) })
const RouterAttributes = {
  name: Opt(Type.String({ maxLength: 255 })), description: Opt(Type.String({ maxLength: 255 })), admin_state_up: Opt(Type.Boolean()),
  external_gateway_info: Opt(GatewayInfo),
}
const Tags = Type.Array(Type.String({ maxLength: 255 }), { maxItems: 50 })
const RouterCreate = Closed({ ...RouterAttributes, tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), availability_zone_hints: Opt(Type.Array(Type.String())), tags: Opt(Tags) })
/** `POST /v2.0/routers` (no `routes` on create: extraroute's allow_post is false). */
export const RouterCreateBody = Type.Union([Closed({ router: RouterCreate }), Closed({ routers: Type.Array(RouterCreate, { minItems: 1 }) })])
/** `PUT /v2.0/routers/{id}`. */
export const RouterUpdateBody = Closed({
  router: Closed({ ...RouterAttributes, routes: Opt(Type.Union([Type.Array(Route), Type.Null()])), id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any) }),
})
/** `PUT /v2.0/routers/{id}/add_router_interface` and `remove_router_interface`. */
export const RouterInterfaceBody = Closed({ subnet_id: Opt(Type.String({ maxLength: 255 })), port_id: Opt(Type.String({ maxLength: 255 })) })

const FipCreate = Closed({
  floating_network_id: Id, floating_ip_address: Opt(Type.String({ maxLength: 64 })), subnet_id: Opt(Id), port_id: Opt(Type.Union([Id, Type.Null()])),
  fixed_ip_address: Opt(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])), description: Opt(Type.String({ maxLength: 255 })),
  tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), tags: Opt(Tags),
})
/** `POST /v2.0/floatingips`. */
export const FloatingIpCreateBody = Type.Union([Closed({ floatingip: FipCreate }), Closed({ floatingips: Type.Array(FipCreate, { minItems: 1 }) })])
/** `PUT /v2.0/floatingips/{id}`. */
export const FloatingIpUpdateBody = Closed({
  floatingip: Closed({
    port_id: Opt(Type.Union([Id, Type.Null()])), fixed_ip_address: Opt(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])), description: Opt(Type.String({ maxLength: 255 })),
    id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), floating_network_id: Opt(Any), floating_ip_address: Opt(Any),
  }),
})

const Standard = {
  id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), description: Opt(Any), tags: Opt(Any), created_at: Opt(Any), updated_at: Opt(Any), revision_number: Opt(Any),
}
const Router = Closed({
  ...Standard, name: Opt(Any), admin_state_up: Opt(Any), status: Opt(Any), external_gateway_info: Opt(Any), routes: Opt(Any),
  availability_zone_hints: Opt(Any), availability_zones: Opt(Any), flavor_id: Opt(Any),
})
const FloatingIp = Closed({
  ...Standard, floating_network_id: Opt(Any), floating_ip_address: Opt(Any), fixed_ip_address: Opt(Any), port_id: Opt(Any), router_id: Opt(Any),
  status: Opt(Any), port_details: Opt(Any),
})

function single(key: string, plural: string, item: TSchema) {
  return { 200: Closed({ [key]: item }), 201: Type.Union([Closed({ [key]: item }), Closed({ [plural]: Type.Array(item) })]) }
}
function list(plural: string, item: TSchema) {
  return { 200: Closed({ [plural]: Type.Array(item), [`${plural}_links`]: Opt(Links) }) }
}

export const RouterResponse = single('router', 'routers', Router)
export const RouterListResponse = list('routers', Router)
export const FloatingIpResponse = single('floatingip', 'floatingips', FloatingIp)
export const FloatingIpListResponse = list('floatingips', FloatingIp)
/** The answer of add/remove_router_interface. */
export const RouterInterfaceResponse = {
  200: Closed({ id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), port_id: Opt(Any), network_id: Opt(Any), subnet_id: Opt(Any), subnet_ids: Opt(Any) }),
}
