import { setTimeout as sleep } from 'node:timers/promises'

/** How long and how often `waitUntil` tries, and what it says when it gives up. */
export interface WaitOptions {
  /** How long to keep trying, in ms. */
  timeoutMs: number
  /** The pause between two checks, in ms; 0 checks again at once. */
  intervalMs: number
  /** The error message on timeout, or a function that builds it then (to say what was last seen). */
  what: string | (() => string)
}

/**
 * Calls `check` until it returns something other than `undefined` or `false`
 * and resolves with that. It checks at least once, and once more after the
 * deadline before it throws `Error(what)`; an error `check` throws (a server
 * gone to ERROR) ends the wait at once. Used by the tests and the bench.
 */
export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const result = await check()
    if (result !== undefined && result !== false) return result
    if (Date.now() >= deadline) throw new Error(typeof options.what === 'function' ? options.what() : options.what)
    if (options.intervalMs > 0) await sleep(options.intervalMs)
  }
}
