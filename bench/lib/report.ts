import { ms, summarize, verdict, type Summary } from './stats.js'

/** A goal on one figure of a summary. */
export interface Goal {
  figure: 'median' | 'p99'
  atMost: number
}

const LABEL_WIDTH = 46

/** Prints a section title. */
export function section(title: string): void {
  console.log(`\n== ${title}`)
}

/** Prints a free line under the current section. */
export function note(text: string): void {
  console.log(`   ${text}`)
}

/** Prints one latency line: label, n, median, p99, max, and the goals with ok/MISSED. */
export function latencyLine(label: string, samples: readonly number[], goals: Goal[] = []): Summary {
  const s = summarize(samples)
  const goalText = goals
    .map((g) => `goal ${g.figure} ≤ ${ms(g.atMost)}: ${verdict(s[g.figure], g.atMost)}`)
    .join('; ')
  console.log(
    `   ${label.padEnd(LABEL_WIDTH)} n=${String(s.n).padStart(4)}  median ${ms(s.median).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}` +
      (goalText ? `   [${goalText}]` : ''),
  )
  return s
}

/** Prints a throughput line with an optional "at least" goal. */
export function rateLine(label: string, perSecond: number, detail: string, atLeast?: number): void {
  const goalText = atLeast === undefined ? '' : `   [goal ≥ ${atLeast}/s: ${verdict(perSecond, atLeast, true)}]`
  console.log(`   ${label.padEnd(LABEL_WIDTH)} ${perSecond.toFixed(1)}/s (${detail})${goalText}`)
}
