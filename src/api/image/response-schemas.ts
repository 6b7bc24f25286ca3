import { Type, type TSchema } from '@sinclair/typebox'

/**
 * Response schemas of the Glance image and member routes (views.ts). An image
 * carries its custom properties flat beside the core attributes, so the image
 * object stays open (`additionalProperties: true`); its custom properties come
 * only from the image_properties table (client-set strings), and every core
 * attribute is named here. The list envelope and members are closed.
 * Leaves are `Unknown`: written exactly as the view built them.
 */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
const Any = Type.Unknown()

const Image = Type.Object({
  name: Opt(Any), disk_format: Opt(Any), container_format: Opt(Any), visibility: Opt(Any), size: Opt(Any), virtual_size: Opt(Any),
  status: Opt(Any), checksum: Opt(Any), protected: Opt(Any), min_ram: Opt(Any), min_disk: Opt(Any), owner: Opt(Any), os_hidden: Opt(Any),
  os_hash_algo: Opt(Any), os_hash_value: Opt(Any), id: Opt(Any), created_at: Opt(Any), updated_at: Opt(Any), tags: Opt(Any),
  self: Opt(Any), file: Opt(Any), schema: Opt(Any),
}, { additionalProperties: true })

/** `GET/PATCH /v2/images/{id}`, `POST /v2/images` (201). */
export const ImageResponse = { 200: Image, 201: Image }
/** `GET /v2/images`. */
export const ImageListResponse = { 200: Closed({ images: Type.Array(Image), first: Any, schema: Any, next: Opt(Any) }) }

const Member = Closed({ member_id: Any, image_id: Any, status: Any, created_at: Any, updated_at: Any, schema: Any })
/** `GET/PUT /v2/images/{id}/members/{member}`, `POST /v2/images/{id}/members`. */
export const MemberResponse = { 200: Member }
/** `GET /v2/images/{id}/members`. */
export const MemberListResponse = { 200: Closed({ members: Type.Array(Member), schema: Any }) }

/**
 * `GET /v2/schemas/*`: JSON-schema documents (glance-schemas.ts), not rows.
 * They nest arbitrary schema keywords, so an open object is the right schema.
 */
export const JsonSchemaDocumentResponse = { 200: Type.Object({}, { additionalProperties: true }) }

const Versions = Closed({ versions: Type.Array(Closed({ id: Any, status: Any, links: Type.Array(Closed({ rel: Any, href: Any })) })) })
/** `GET /image/` (300 Multiple Choices, as Glance) and `/image/versions`. */
export const VersionsResponse = { 200: Versions, 300: Versions }
