import { Type } from '@sinclair/typebox'

/**
 * Nova's `base_rebuild` body (schemas/servers.py) with every key a
 * microversion adds; the route refuses the keys the request's microversion
 * does not have yet (`REBUILD_KEYS_SINCE`).
 */
export const RebuildBody = Type.Object({
  imageRef: Type.String({ minLength: 1 }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^(?! )[\\S\\s]*(?<! )$' })),
  adminPass: Type.Optional(Type.String()),
  metadata: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }))),
  preserve_ephemeral: Type.Optional(Type.Boolean()),
  'OS-DCF:diskConfig': Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
  accessIPv4: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9.]+$' }), Type.Null()])),
  accessIPv6: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9a-fA-F:.]+$' }), Type.Null()])),
  personality: Type.Optional(Type.Array(Type.Object({ path: Type.String(), contents: Type.String() }))),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  key_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
  user_data: Type.Optional(Type.Union([Type.String({ maxLength: 65535 }), Type.Null()])),
  trusted_image_certificates: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 50, uniqueItems: true }), Type.Null()])),
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$' })),
}, { additionalProperties: false })

/** The microversion each key arrives with (and `personality`'s removal at 2.57). */
export const REBUILD_KEYS_SINCE: Record<string, string> = {
  description: '2.19', key_name: '2.54', user_data: '2.57', trusted_image_certificates: '2.63', hostname: '2.90',
}
