import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response schemas of the network API: closed objects naming every
 * attribute the dicts of src/services/network/network-dicts.ts emit (all
 * optional, since `fields=` may keep any subset), so a stray column can never
 * reach a client. Leaves are `Unknown`: written as the dict built them.
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const Links = Type.Array(Closed({ href: Type.String(), rel: Type.String() }))

const Standard = {
  id: Opt(Any), name: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), description: Opt(Any), tags: Opt(Any), created_at: Opt(Any),
  updated_at: Opt(Any), revision_number: Opt(Any),
}

const Network = Closed({
  ...Standard, admin_state_up: Opt(Any), mtu: Opt(Any), status: Opt(Any), subnets: Opt(Any), shared: Opt(Any), availability_zone_hints: Opt(Any),
  availability_zones: Opt(Any), ipv4_address_scope: Opt(Any), ipv6_address_scope: Opt(Any), 'router:external': Opt(Any), is_default: Opt(Any),
  port_security_enabled: Opt(Any), l2_adjacency: Opt(Any), 'provider:network_type': Opt(Any), 'provider:physical_network': Opt(Any),
  'provider:segmentation_id': Opt(Any),
})

const Subnet = Closed({
  ...Standard, network_id: Opt(Any), ip_version: Opt(Any), cidr: Opt(Any), gateway_ip: Opt(Any), enable_dhcp: Opt(Any), allocation_pools: Opt(Any),
  dns_nameservers: Opt(Any), host_routes: Opt(Any), ipv6_ra_mode: Opt(Any), ipv6_address_mode: Opt(Any), subnetpool_id: Opt(Any),
  service_types: Opt(Any), segment_id: Opt(Any),
})

const Port = Closed({
  ...Standard, network_id: Opt(Any), mac_address: Opt(Any), admin_state_up: Opt(Any), status: Opt(Any), device_id: Opt(Any), device_owner: Opt(Any),
  fixed_ips: Opt(Any), allowed_address_pairs: Opt(Any), extra_dhcp_opts: Opt(Any), security_groups: Opt(Any), 'binding:vnic_type': Opt(Any),
  'binding:host_id': Opt(Any), 'binding:profile': Opt(Any), 'binding:vif_type': Opt(Any), 'binding:vif_details': Opt(Any),
  port_security_enabled: Opt(Any), dns_name: Opt(Any), ip_allocation: Opt(Any),
})

/** Show, create (201) and update of one resource, and bulk create (201). */
function single(key: string, plural: string, item: TSchema) {
  return { 200: Closed({ [key]: item }), 201: Type.Union([Closed({ [key]: item }), Closed({ [plural]: Type.Array(item) })]) }
}
function list(plural: string, item: TSchema) {
  return { 200: Closed({ [plural]: Type.Array(item), [`${plural}_links`]: Opt(Links) }) }
}

export const NetworkResponse = single('network', 'networks', Network)
export const NetworkListResponse = list('networks', Network)
export const SubnetResponse = single('subnet', 'subnets', Subnet)
export const SubnetListResponse = list('subnets', Subnet)
export const PortResponse = single('port', 'ports', Port)
export const PortListResponse = list('ports', Port)

/** `GET/PUT …/tags`. */
export const TagsResponse = { 200: Closed({ tags: Type.Array(Type.String()) }) }

const Extension = Closed({ name: Type.String(), alias: Type.String(), description: Type.String(), updated: Type.String(), links: Type.Array(Any) })
/** `GET /v2.0/extensions` and `/extensions/{alias}`. */
export const ExtensionListResponse = { 200: Closed({ extensions: Type.Array(Extension) }) }
export const ExtensionResponse = { 200: Closed({ extension: Extension }) }

const QuotaValues = Type.Record(Type.String(), Any)
/** `GET/PUT /v2.0/quotas/{project}` and `/details`. */
export const QuotaResponse = { 200: Closed({ quota: QuotaValues }) }
/** `GET /v2.0/quotas`. */
export const QuotaListResponse = { 200: Closed({ quotas: Type.Array(QuotaValues) }) }

const SelfLinks = Type.Array(Closed({ rel: Type.String(), href: Type.String() }))
/** `GET /network/`: the versions document. */
export const VersionsResponse = { 200: Closed({ versions: Type.Array(Closed({ id: Type.String(), status: Type.String(), links: SelfLinks })) }) }
/** `GET /network/v2.0`: the core resources. */
export const ResourcesResponse = { 200: Closed({ resources: Type.Array(Closed({ name: Type.String(), collection: Type.String(), links: SelfLinks })) }) }
