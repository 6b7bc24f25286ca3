// src/util/ holds pure helpers that import nothing of the app, so every layer
// (api, services, agent, virt) may import them without breaking the layer rules.

/**
 * Glance's uuid pattern (`glance/api/v2/images.py`): the canonical dashed
 * form, any case. Kept as text because Glance quotes it in its messages and
 * JSON schemas.
 */
export const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'

const UUID = new RegExp(UUID_PATTERN)

// Dashes optional, any case: 32 hex digits.
const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/

/** A canonical uuid: 8-4-4-4-12 hex digits with dashes, any case. */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/**
 * oslo's `uuidutils.is_uuid_like`, loosely: 32 hex digits with or without
 * dashes, any case (Nova and Placement accept these where a uuid is asked).
 */
export function isUuidLike(value: string): boolean {
  return UUID_LIKE.test(value)
}

/** The canonical dashed lower-case form of a uuid-like string. */
export function canonicalUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
