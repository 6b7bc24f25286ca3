/** True when dist/ is missing or older than one of its inputs. */
export function buildIsStale(): boolean
/** Compiles src/ into a fresh dist/; throws when tsc fails. */
export function build(): void
/** Builds when stale, once across processes started together. */
export function ensureBuilt(): Promise<void>
