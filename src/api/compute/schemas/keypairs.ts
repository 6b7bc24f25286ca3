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
