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
