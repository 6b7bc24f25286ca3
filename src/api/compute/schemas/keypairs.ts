import { Type } from '@sinclair/typebox'

/** Nova's keypair_name_special_chars: letters, digits, `_`, `-` and spaces, no leading or trailing space. */
const KeypairName = Type.String({ minLength: 1, maxLength: 255, pattern: '^(?! )[_\\- a-zA-Z0-9]+(?<! )$' })

/** `POST /os-keypairs` (the route refuses `type` before 2.2 and `user_id` before 2.10). */
export const KeypairCreateBody = Type.Object({
  keypair: Type.Object({
    name: KeypairName,
    type: Type.Optional(Type.Union([Type.Literal('ssh'), Type.Literal('x509')])),
    public_key: Type.Optional(Type.String()),
    user_id: Type.Optional(Type.String()),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

/** `{name}` of a keypair route. */
export const KeypairNameParams = Type.Object({ name: Type.String() })

/** `user_id` (2.10+), `limit` and `marker` (2.35+). */
export const KeypairQuery = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))

// Response schemas: the serializer writes only these properties, so no other keypair column can reach a client.
const Keypair = Type.Object({
  private_key: Type.Optional(Type.String()), type: Type.Optional(Type.String()), name: Type.String(), public_key: Type.String(),
  fingerprint: Type.String(), user_id: Type.Optional(Type.String()), created_at: Type.Optional(Type.Union([Type.String(), Type.Null()])), deleted: Type.Optional(Type.Boolean()),
  deleted_at: Type.Optional(Type.Null()), updated_at: Type.Optional(Type.Null()), id: Type.Optional(Type.Integer()),
}, { additionalProperties: false })
const KeypairBody = Type.Object({ keypair: Keypair }, { additionalProperties: false })
const Link = Type.Object({ rel: Type.String(), href: Type.String(), type: Type.Optional(Type.String()) }, { additionalProperties: false })

/** `POST /os-keypairs` (200 before 2.2, 201 from it) and `GET /os-keypairs/{name}`. */
export const KeypairResponse = { 200: KeypairBody, 201: KeypairBody }
/** `GET /os-keypairs`. */
export const KeypairListResponse = {
  200: Type.Object({ keypairs: Type.Array(KeypairBody), keypairs_links: Type.Optional(Type.Array(Link)) }, { additionalProperties: false }),
}
