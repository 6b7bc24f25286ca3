import { Type, type TSchema } from '@sinclair/typebox'

/*
 * Request and response schemas of `/v2.0/security-groups` and
 * `/v2.0/security-group-rules` (neutron/extensions/securitygroup.py's
 * attribute map). Rule values Neutron converts (protocol, ports, ethertype,
 * prefix) are taken as sent and checked by the service, which words the
 * errors as Neutron's converters do.
 */

const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()
const ProjectId = Type.String({ maxLength: 255 })
/*
 * One `type` list, not a Union: Ajv's type coercion runs inside each anyOf branch, so a null
 * became '' through a string branch (and a 0 would become null through a null branch); with a
 * type list it coerces only a value of none of the types.
 */
const Scalar = Type.Unsafe<string | number | null>({ type: ['null', 'string', 'integer'], maxLength: 255 })
const NullableString = (maxLength: number) => Type.Unsafe<string | null>({ type: ['null', 'string'], maxLength })
const Links = Type.Array(Closed({ href: Type.String(), rel: Type.String() }))

const GroupAttributes = { name: Opt(Type.String({ maxLength: 255 })), description: Opt(Type.String({ maxLength: 255 })), stateful: Opt(Type.Boolean()) }
const Tags = Type.Array(Type.String({ maxLength: 255 }), { maxItems: 50 })
const GroupCreate = Closed({ ...GroupAttributes, tenant_id: Opt(ProjectId), project_id: Opt(ProjectId), tags: Opt(Tags) })
/** `POST /v2.0/security-groups`: one, or a bulk list. */
export const SecurityGroupCreateBody = Type.Union([Closed({ security_group: GroupCreate }), Closed({ security_groups: Type.Array(GroupCreate, { minItems: 1 }) })])
/** `PUT /v2.0/security-groups/{id}`. */
export const SecurityGroupUpdateBody = Closed({
  security_group: Closed({ ...GroupAttributes, id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), security_group_rules: Opt(Any) }),
})

const RuleCreate = Closed({
  security_group_id: Type.String({ maxLength: 36 }), direction: Type.String({ maxLength: 255 }), protocol: Opt(Scalar),
  port_range_min: Opt(Scalar), port_range_max: Opt(Scalar), ethertype: Opt(Type.String({ maxLength: 255 })),
  remote_ip_prefix: Opt(NullableString(255)), remote_group_id: Opt(NullableString(36)),
  remote_address_group_id: Opt(Type.Null()), description: Opt(Type.String({ maxLength: 255 })), tenant_id: Opt(ProjectId), project_id: Opt(ProjectId),
})
/** `POST /v2.0/security-group-rules`: one, or a bulk list. */
export const SecurityGroupRuleCreateBody = Type.Union([Closed({ security_group_rule: RuleCreate }), Closed({ security_group_rules: Type.Array(RuleCreate, { minItems: 1 }) })])

const Standard = {
  id: Opt(Any), tenant_id: Opt(Any), project_id: Opt(Any), description: Opt(Any), created_at: Opt(Any), updated_at: Opt(Any), revision_number: Opt(Any),
}
const Rule = Closed({
  ...Standard, security_group_id: Opt(Any), ethertype: Opt(Any), direction: Opt(Any), protocol: Opt(Any), port_range_min: Opt(Any), port_range_max: Opt(Any),
  remote_ip_prefix: Opt(Any), remote_address_group_id: Opt(Any), normalized_cidr: Opt(Any), remote_group_id: Opt(Any), belongs_to_default_sg: Opt(Any),
})
const Group = Closed({ ...Standard, name: Opt(Any), stateful: Opt(Any), shared: Opt(Any), security_group_rules: Opt(Type.Array(Rule)), tags: Opt(Any) })

function single(key: string, plural: string, item: TSchema) {
  return { 200: Closed({ [key]: item }), 201: Type.Union([Closed({ [key]: item }), Closed({ [plural]: Type.Array(item) })]) }
}
function list(plural: string, item: TSchema) {
  return { 200: Closed({ [plural]: Type.Array(item), [`${plural}_links`]: Opt(Links) }) }
}

export const SecurityGroupResponse = single('security_group', 'security_groups', Group)
export const SecurityGroupListResponse = list('security_groups', Group)
export const SecurityGroupRuleResponse = single('security_group_rule', 'security_group_rules', Rule)
export const SecurityGroupRuleListResponse = list('security_group_rules', Rule)
