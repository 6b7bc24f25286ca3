import { Type, type Static } from '@sinclair/typebox'

const NameOrId = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) })

export const TokenRequest = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String(), { minItems: 1 }),
      password: Type.Optional(Type.Object({
        user: Type.Object({
          id: Type.Optional(Type.String()),
          name: Type.Optional(Type.String()),
          domain: Type.Optional(NameOrId),
          password: Type.String(),
        }),
      })),
      token: Type.Optional(Type.Object({ id: Type.String() })),
    }),
    scope: Type.Optional(Type.Union([
      Type.Literal('unscoped'),
      Type.Object({
        project: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), domain: Type.Optional(NameOrId) })),
        domain: Type.Optional(NameOrId),
        system: Type.Optional(Type.Object({ all: Type.Optional(Type.Boolean()) })),
      }),
    ])),
  }),
})
export type TokenRequest = Static<typeof TokenRequest>

export const ProjectCreate = Type.Object({
  project: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 64 }),
    domain_id: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
    parent_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    is_domain: Type.Optional(Type.Boolean()),
  }, { additionalProperties: true }),
})

export const ProjectUpdate = Type.Object({
  project: Type.Object({
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  }, { additionalProperties: true }),
})

export const UserCreate = Type.Object({
  user: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 255 }),
    domain_id: Type.Optional(Type.String()),
    password: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    default_project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  }, { additionalProperties: true }),
})

export const UserUpdate = Type.Object({
  user: Type.Object({
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    password: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    default_project_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  }, { additionalProperties: true }),
})

export const RoleCreate = Type.Object({
  role: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 255 }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    domain_id: Type.Optional(Type.Null()),
  }, { additionalProperties: true }),
})

export const IdParams = Type.Object({ id: Type.String() })
export const AssignmentParams = Type.Object({ projectId: Type.String(), userId: Type.String(), roleId: Type.String() })
export const NameQuery = Type.Object({
  name: Type.Optional(Type.String()),
  domain_id: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.String()),
}, { additionalProperties: true })
