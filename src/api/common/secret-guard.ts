import type { FastifyInstance } from 'fastify'

/**
 * The database columns that hold secrets (src/db/tables: users.password_hash,
 * compute hosts' credential_hash, tokens' id_hash), in both spellings a row
 * or a record may carry them. No response body may have such a key.
 */
const SECRET_KEYS = new Set(['password_hash', 'passwordHash', 'credential_hash', 'credentialHash', 'id_hash', 'idHash'])

/** Views never nest deeper than this; a deeper body is not a row anyway. */
const MAX_DEPTH = 12

/** The path of the first secret-column key in a response body, or null. */
export function secretKeyPath(value: unknown, depth = 0): string | null {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = secretKeyPath(item, depth + 1)
      if (found) return `[]${found}`
    }
    return null
  }
  // Only plain data: streams, buffers and the like are not views.
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return null
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEYS.has(key)) return `.${key}`
    const found = secretKeyPath(item, depth + 1)
    if (found) return `.${key}${found}`
  }
  return null
}

/**
 * The last line behind the views and response schemas: a body that would
 * carry a secret column is a server fault (500, logged), never sent.
 */
export function installSecretGuard(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, _reply, payload) => {
    const path = secretKeyPath(payload)
    if (path) throw new Error(`response body of ${req.method} ${req.routeOptions.url ?? ''} carries a secret column at ${path}`)
    return payload
  })
}
