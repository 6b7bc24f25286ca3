import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response schemas of the directory routes that return database rows: the
 * serializer writes only these properties (`additionalProperties: false`),
 * so a column added to a row can never reach a client by accident.
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
const SelfLink = Closed({ self: Type.String() })
const ListLinks = Closed({ self: Type.String(), previous: Nullable(Type.String()), next: Nullable(Type.String()) })
const Empty = Closed({})

const Project = Closed({
  id: Type.String(), name: Type.String(), domain_id: Type.String(), description: Nullable(Type.String()), enabled: Type.Boolean(),
  parent_id: Nullable(Type.String()), is_domain: Type.Boolean(), tags: Type.Array(Type.String()), options: Empty, links: SelfLink,
})

const User = Closed({
  id: Type.String(), name: Type.String(), domain_id: Type.String(), enabled: Type.Boolean(), password_expires_at: Nullable(Type.String()),
  options: Empty, email: Type.Optional(Type.String()), description: Type.Optional(Type.String()), default_project_id: Type.Optional(Type.String()),
  links: SelfLink,
})

const Domain = Closed({
  id: Type.String(), name: Type.String(), description: Nullable(Type.String()), enabled: Type.Boolean(), tags: Type.Array(Type.String()),
  options: Empty, links: SelfLink,
})

/** `{"project": …}` (200 and 201). */
export const ProjectResponse = { 200: Closed({ project: Project }), 201: Closed({ project: Project }) }
/** `{"projects": […], "links": …}`. */
export const ProjectListResponse = { 200: Closed({ projects: Type.Array(Project), links: ListLinks }) }
/** `{"user": …}` (200 and 201). */
export const UserResponse = { 200: Closed({ user: User }), 201: Closed({ user: User }) }
/** `{"users": […], "links": …}`. */
export const UserListResponse = { 200: Closed({ users: Type.Array(User), links: ListLinks }) }
/** `{"domain": …}`. */
export const DomainResponse = { 200: Closed({ domain: Domain }) }
/** `{"domains": […], "links": …}`. */
export const DomainListResponse = { 200: Closed({ domains: Type.Array(Domain), links: ListLinks }) }

// The other routes (views.ts, token-routes.ts, directory-routes.ts); leaves are `Unknown`: written as built.
const Any = Type.Unknown()
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Named = Closed({ id: Any, name: Any })

const Role = Closed({ id: Any, name: Any, domain_id: Any, description: Any, options: Empty, links: SelfLink })
/** `{"role": …}` (200 and 201). */
export const RoleResponse = { 200: Closed({ role: Role }), 201: Closed({ role: Role }) }
/** `{"roles": […], "links": …}`. */
export const RoleListResponse = { 200: Closed({ roles: Type.Array(Role), links: ListLinks }) }

const Assignment = Closed({
  role: Closed({ id: Any, name: Opt(Any) }),
  user: Closed({ id: Any, name: Opt(Any), domain: Opt(Named) }),
  scope: Closed({ project: Closed({ id: Any, name: Opt(Any), domain: Opt(Named) }) }),
  links: Closed({ assignment: Any }),
})
/** `GET /v3/role_assignments` (names with `include_names`). */
export const RoleAssignmentListResponse = { 200: Closed({ role_assignments: Type.Array(Assignment), links: ListLinks }) }

const Endpoint = Closed({ id: Any, interface: Any, region: Any, region_id: Any, url: Any })
const CatalogEntry = Closed({ id: Any, type: Any, name: Any, endpoints: Type.Array(Endpoint) })
/** `GET /v3/services`. */
export const ServiceListResponse = {
  200: Closed({ services: Type.Array(Closed({ id: Any, type: Any, name: Any, enabled: Any, description: Any, links: SelfLink })), links: ListLinks }),
}
/** `GET /v3/endpoints`. */
export const EndpointListResponse = {
  200: Closed({
    endpoints: Type.Array(Closed({ id: Any, interface: Any, region: Any, region_id: Any, url: Any, service_id: Any, enabled: Any, links: SelfLink })),
    links: ListLinks,
  }),
}
/** `GET /v3/regions`. */
export const RegionListResponse = { 200: Closed({ regions: Type.Array(Closed({ id: Any, description: Any, parent_region_id: Any, links: SelfLink })), links: ListLinks }) }
/** `GET /v3/auth/catalog`. */
export const CatalogResponse = { 200: Closed({ catalog: Type.Array(CatalogEntry), links: ListLinks }) }

const Token = Closed({
  methods: Any, user: Closed({ domain: Named, id: Any, name: Any, password_expires_at: Any }), audit_ids: Any, expires_at: Any, issued_at: Any,
  project: Opt(Closed({ domain: Named, id: Any, name: Any })), is_domain: Opt(Any), roles: Opt(Type.Array(Named)),
  catalog: Opt(Type.Array(CatalogEntry)),
})
/** `POST /v3/auth/tokens` (201) and `GET /v3/auth/tokens` (200); the token itself travels in `X-Subject-Token`. */
export const TokenResponse = { 200: Closed({ token: Token }), 201: Closed({ token: Token }) }

const Version = Closed({ id: Any, status: Any, updated: Any, links: Type.Array(Closed({ rel: Any, href: Any })), 'media-types': Type.Array(Closed({ base: Any, type: Any })) })
/** `GET /identity/` (300 Multiple Choices, as Keystone). */
export const VersionsResponse = { 300: Closed({ versions: Closed({ values: Type.Array(Version) }) }) }
/** `GET /identity/v3`. */
export const VersionResponse = { 200: Closed({ version: Version }) }
