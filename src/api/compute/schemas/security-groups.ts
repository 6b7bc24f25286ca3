import { Type } from '@sinclair/typebox'

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
