/** True in CI: a tier whose tool is missing fails instead of skipping. */
export const REQUIRE_ALL = process.env.LIFEBOAT_REQUIRE_ALL === '1'

/**
 * The `skip` option for a test whose tool is missing: a message saying what
 * to install, or (with LIFEBOAT_REQUIRE_ALL=1) a thrown error so CI fails.
 */
export function skipUnless(available: boolean, what: string, install: string): string | false {
  if (available) return false
  const message = `${what} is not available: ${install}`
  if (REQUIRE_ALL) throw new Error(`LIFEBOAT_REQUIRE_ALL=1 but ${message}`)
  return message
}
