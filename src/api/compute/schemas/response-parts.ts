import { Type, type TObject, type TSchema } from '@sinclair/typebox'

/**
 * Building blocks of the compute response schemas. A closed object makes the
 * serializer drop any property it does not name; `Any` leaves a value to be
 * written exactly as the view built it (no type coercion by the serializer).
 */
export const Closed = <T extends Record<string, TSchema>>(properties: T): TObject<T> => Type.Object(properties, { additionalProperties: false })
/** An optional property. */
export const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema)
/** Any JSON value, written as is. */
export const Any = Type.Unknown()
/** A Nova link (views/resource-links.ts). */
export const Link = Closed({ rel: Type.String(), href: Type.String(), type: Opt(Type.String()) })
/** `links` / `<collection>_links`. */
export const Links = Type.Array(Link)
