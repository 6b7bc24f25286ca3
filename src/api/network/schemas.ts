import { Type, type TSchema } from '@sinclair/typebox'

// Null first in every union: Ajv's type coercion would turn a null into "" for a string branch tried first.

/*
 * Request bodies of the network API (Neutron's RESOURCE_ATTRIBUTE_MAP,
 * neutron-lib api/definitions): closed objects, so an unknown attribute is
 * Neutron's 400 "Unrecognized attribute(s) 'x'" (the plugin's error handler
 * words it). Read-only attributes are accepted by the update schemas only so
 * that the route can answer Neutron's "Cannot update read-only attribute".
 */

const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Name = Type.String({ maxLength: 255 })
const Description = Type.String({ maxLength: 255 })
const ProjectId = Type.String({ maxLength: 255 })
const Id = Type.String({ maxLength: 36 })
const Tags = Type.Array(Type.String({ maxLength: 255 }), { maxItems: 50 })

const NetworkAttributes = {
  name: Opt(Name), description: Opt(Description), admin_state_up: Opt(Type.Boolean()), shared: Opt(Type.Boolean()),
  'router:external': Opt(Type.Boolean()), mtu: Opt(Type.Integer({ minimum: 68, maximum: 9216 })), port_security_enabled: Opt(Type.Boolean()),
  'provider:network_type': Opt(Type.Union([Type.Literal('local'), Type.Literal('flat')])), 'provider:physical_network': Opt(Type.Union([Type.Null(), Type.String({ maxLength: 64 })])),
  'provider:segmentation_id': Opt(Type.Union([Type.Null(), Type.Integer()])), is_default: Opt(Type.Boolean()),
  availability_zone_hints: Opt(Type.Array(Type.String({ maxLength: 255 }))),
}
const ReadOnly = { id: Opt(Type.Unknown()), tenant_id: Opt(Type.Unknown()), project_id: Opt(Type.Unknown()) }

const NetworkCreate = Closed({ ...NetworkAttributes, tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), tags: Opt(Tags) })
/** `POST /v2.0/networks`: one, or a bulk list. */
export const NetworkCreateBody = Type.Union([Closed({ network: NetworkCreate }), Closed({ networks: Type.Array(NetworkCreate, { minItems: 1 }) })])
/** `PUT /v2.0/networks/{id}`. */
export const NetworkUpdateBody = Closed({ network: Closed({ ...NetworkAttributes, ...ReadOnly }) })

const Pool = Closed({ start: Type.String({ maxLength: 64 }), end: Type.String({ maxLength: 64 }) })
const Route = Closed({ destination: Type.String({ maxLength: 64 }), nexthop: Type.String({ maxLength: 64 }) })
const SubnetAttributes = {
  name: Opt(Name), description: Opt(Description), gateway_ip: Opt(Type.Union([Type.Null(), Type.String({ maxLength: 64 })])),
  allocation_pools: Opt(Type.Array(Pool)), dns_nameservers: Opt(Type.Array(Type.String({ maxLength: 64 }))), host_routes: Opt(Type.Array(Route)),
  enable_dhcp: Opt(Type.Boolean()),
}
const SubnetCreate = Closed({
  ...SubnetAttributes, network_id: Id, ip_version: Type.Integer(), cidr: Opt(Type.String({ maxLength: 64 })), subnetpool_id: Opt(Type.Union([Type.Null(), Id])),
  ipv6_ra_mode: Opt(Type.Union([Type.Null(), Type.String()])), ipv6_address_mode: Opt(Type.Union([Type.Null(), Type.String()])), tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), tags: Opt(Tags),
})
/** `POST /v2.0/subnets`: one, or a bulk list. */
export const SubnetCreateBody = Type.Union([Closed({ subnet: SubnetCreate }), Closed({ subnets: Type.Array(SubnetCreate, { minItems: 1 }) })])
/** `PUT /v2.0/subnets/{id}`. */
export const SubnetUpdateBody = Closed({
  subnet: Closed({ ...SubnetAttributes, ...ReadOnly, network_id: Opt(Type.Unknown()), cidr: Opt(Type.Unknown()), ip_version: Opt(Type.Unknown()) }),
})

const FixedIp = Closed({ subnet_id: Opt(Id), ip_address: Opt(Type.String({ maxLength: 64 })) })
const PortAttributes = {
  name: Opt(Name), description: Opt(Description), admin_state_up: Opt(Type.Boolean()), mac_address: Opt(Type.String({ maxLength: 32 })),
  fixed_ips: Opt(Type.Array(FixedIp)), device_id: Opt(Type.String({ maxLength: 255 })), device_owner: Opt(Type.String({ maxLength: 255 })),
  security_groups: Opt(Type.Array(Id)), port_security_enabled: Opt(Type.Boolean()), allowed_address_pairs: Opt(Type.Array(Type.Object({}, { additionalProperties: true }))),
  dns_name: Opt(Type.String({ maxLength: 255 })), 'binding:host_id': Opt(Type.String({ maxLength: 255 })),
  'binding:vnic_type': Opt(Type.Union(['normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'remote-managed'].map((v) => Type.Literal(v)))),
  'binding:profile': Opt(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())])),
}
const PortCreate = Closed({ ...PortAttributes, network_id: Id, tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), tags: Opt(Tags) })
/** `POST /v2.0/ports`: one, or a bulk list. */
export const PortCreateBody = Type.Union([Closed({ port: PortCreate }), Closed({ ports: Type.Array(PortCreate, { minItems: 1 }) })])
/** `PUT /v2.0/ports/{id}`. */
export const PortUpdateBody = Closed({ port: Closed({ ...PortAttributes, ...ReadOnly, network_id: Opt(Type.Unknown()) }) })

/** `PUT /v2.0/{resources}/{id}/tags`. */
export const TagsBody = Closed({ tags: Type.Array(Type.String({ maxLength: 255 })) })

/** `PUT /v2.0/quotas/{project_id}`: resource → limit (checked by the service, with Neutron's texts). */
export const QuotaBody = Closed({ quota: Type.Record(Type.String(), Type.Unknown()) })

export const IdParams = Type.Object({ id: Type.String() })
export const TagParams = Type.Object({ id: Type.String(), tag: Type.String() })
export const ProjectParams = Type.Object({ project_id: Type.String() })
