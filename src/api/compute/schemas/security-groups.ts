import { Type } from '@sinclair/typebox'
import { Any, Closed, Opt } from './response-parts.js'

// Nova's schemas leave additionalProperties open here; clients send extra keys.
/** `POST /os-security-groups` and `PUT /os-security-groups/{id}`. */
export const SecurityGroupBody = Type.Object({
  security_group: Type.Object({
    name: Type.String({ maxLength: 255 }),
    description: Type.String({ maxLength: 255 }),
  }),
})

/** `POST /os-security-group-rules`: ports, protocol and CIDR are checked by the service, as Nova does. */
export const SecurityGroupRuleBody = Type.Object({
  security_group_rule: Type.Object({
    parent_group_id: Type.String({ format: 'uuid' }),
    group_id: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
    ip_protocol: Type.Optional(Type.Unknown()),
    from_port: Type.Optional(Type.Unknown()),
    to_port: Type.Optional(Type.Unknown()),
    cidr: Type.Optional(Type.Unknown()),
  }),
})

/** `{id}` of a group or rule route. */
export const SecurityGroupIdParams = Type.Object({ id: Type.String() })

/** `all_tenants`, `limit`, `offset` of `GET /os-security-groups`. */
export const SecurityGroupQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))

// Response schemas (views/security-group-view.ts): only these properties reach a client.
const Rule = Closed({
  id: Any, parent_group_id: Any, ip_protocol: Any, from_port: Any, to_port: Any,
  group: Closed({ name: Opt(Any), tenant_id: Opt(Any) }), ip_range: Closed({ cidr: Opt(Any) }),
})
const Group = Closed({ id: Any, name: Any, description: Any, tenant_id: Any, rules: Type.Array(Rule) })
/** `GET /os-security-groups` and `GET /servers/{id}/os-security-groups`. */
export const SecurityGroupListResponse = { 200: Closed({ security_groups: Type.Array(Group) }) }
/** `GET/POST/PUT /os-security-groups[/{id}]` (Nova answers a create with 200). */
export const SecurityGroupResponse = { 200: Closed({ security_group: Group }) }
/** `POST /os-security-group-rules` (200, as Nova). */
export const SecurityGroupRuleResponse = { 200: Closed({ security_group_rule: Rule }) }
