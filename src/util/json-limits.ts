/** Limits on a JSON text, checked before it is parsed. */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects (the top level is depth 1). */
  maxDepth: number
  /** Longest string (key or value), in characters after unescaping; Infinity for none. */
  maxStringLength: number
  /** Whether `\u0000` may appear in a string (no database text column takes it). */
  allowNul: boolean
}

/**
 * JSON bodies: no OpenStack body nests deeper than a dozen levels, and no
 * field of the public APIs takes more than Nova's 64 KiB `user_data`; the
 * strings go into database text columns, which take no NUL.
 */
export const PUBLIC_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxStringLength: 65_536, allowNul: false }
/** The agent API's: console output may be long and hold any character. */
export const AGENT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxStringLength: Infinity, allowNul: true }

/** Why a JSON text breaks its limits. */
export type JsonLimitProblem = { kind: 'depth'; limit: number } | { kind: 'string'; limit: number } | { kind: 'nul' }

/**
 * One linear pass over a JSON text counting `[`/`{` nesting and string
 * lengths outside and inside strings, so that a deep or huge document is
 * refused before `JSON.parse` and every recursive consumer after it
 * (validators, `JSON.stringify` in error messages) could overflow the stack.
 * Malformed text is left for `JSON.parse` to refuse.
 */
export function jsonLimitProblem(text: string, limits: JsonLimits): JsonLimitProblem | null {
  let depth = 0
  let inString = false
  let stringLength = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x22 /* " */) {
        inString = false
        continue
      }
      if (c === 0x5c /* \ */) {
        if (text.charCodeAt(i + 1) === 0x75 /* u */) {
          if (!limits.allowNul && text.startsWith('0000', i + 2)) return { kind: 'nul' }
          i += 5
        } else {
          i += 1
        }
      }
      if (++stringLength > limits.maxStringLength) return { kind: 'string', limit: limits.maxStringLength }
    } else if (c === 0x22) {
      inString = true
      stringLength = 0
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limits.maxDepth) return { kind: 'depth', limit: limits.maxDepth }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--
    }
  }
  return null
}
