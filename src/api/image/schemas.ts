import { Type } from '@sinclair/typebox'

export const ImageIdParams = Type.Object({ id: Type.String() })
export const TagParams = Type.Object({ id: Type.String(), tag: Type.String() })
export const MemberParams = Type.Object({ id: Type.String(), memberId: Type.String() })
export const ActionParams = Type.Object({ id: Type.String(), action: Type.Union([Type.Literal('deactivate'), Type.Literal('reactivate')]) })

/**
 * `POST /v2/images`: any JSON object. Glance's image schema is permissive
 * (any extra key is a custom property), and its own messages for each
 * attribute come from the service (image-attributes.ts).
 */
export const ImageCreateBody = Type.Record(Type.String(), Type.Unknown())

/**
 * `PATCH /v2/images/{id}`: a JSON-patch list in one of two dialects; the
 * service checks it and answers with Glance's messages (image-patch.ts).
 */
export const ImagePatchBody = Type.Unknown()

export const MemberCreateBody = Type.Object({ member: Type.String() })
export const MemberUpdateBody = Type.Object({ status: Type.String() })
