/** Summary figures of a set of samples (milliseconds unless said otherwise). */
export interface Summary {
  n: number
  min: number
  median: number
  p99: number
  max: number
  mean: number
}

/** Nearest-rank percentile of sorted samples (`q` in 0..1). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil(q * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** Median, p99 and friends of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    median: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  }
}

/** A duration in ms with a sensible number of decimals. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '—'
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`
}

/** A goal comparison: `value ≤ goal` gives `ok`, else `MISSED`. */
export function verdict(value: number, goal: number, higherIsBetter = false): string {
  const met = higherIsBetter ? value >= goal : value <= goal
  return met ? 'ok' : 'MISSED'
}

/** Milliseconds since an arbitrary origin, sub-millisecond precise. */
export function now(): number {
  return performance.now()
}
