// Pure helper (src/util/ imports nothing of the app): every layer may use it.

/** oslo's `strutils.TRUE_STRINGS`. */
export const TRUE_STRINGS: readonly string[] = ['1', 't', 'true', 'on', 'y', 'yes']

/** oslo's `strutils.FALSE_STRINGS`. */
export const FALSE_STRINGS: readonly string[] = ['0', 'f', 'false', 'off', 'n', 'no']

/**
 * oslo's `bool_from_string(value)` (not strict), as Nova's callers use it:
 * true for a TRUE_STRINGS word in any case, false for anything else. No
 * trimming: `' yes'` is false, as the callers it replaces had it.
 */
export function isTrueString(value: string): boolean {
  return TRUE_STRINGS.includes(value.toLowerCase())
}

/**
 * oslo's `bool_from_string(value, strict=True)` without the raise: trimmed and
 * any case, true or false for a known word, undefined for anything else
 * (each caller raises its own service's message).
 */
export function strictBoolString(value: string): boolean | undefined {
  const text = value.trim().toLowerCase()
  if (TRUE_STRINGS.includes(text)) return true
  if (FALSE_STRINGS.includes(text)) return false
  return undefined
}
