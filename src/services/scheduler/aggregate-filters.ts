/** The flavor extra spec scope AggregateInstanceExtraSpecsFilter reads. */
const SCOPE = 'aggregate_instance_extra_specs'

const numeric = (f: (x: number, y: number) => boolean) => (x: string, y: string) => f(Number.parseFloat(x), Number.parseFloat(y))
const OPS: Record<string, (value: string, wanted: string) => boolean> = {
  '=': numeric((x, y) => x >= y),
  '<in>': (x, y) => x.includes(y),
  '==': numeric((x, y) => x === y),
  '!=': numeric((x, y) => x !== y),
  '>=': numeric((x, y) => x >= y),
  '<=': numeric((x, y) => x <= y),
  's==': (x, y) => x === y,
  's!=': (x, y) => x !== y,
  's<': (x, y) => x < y,
  's<=': (x, y) => x <= y,
  's>': (x, y) => x > y,
  's>=': (x, y) => x >= y,
}

/** nova/scheduler/filters/extra_specs_ops.py `match`: `<op> value`, `<or> a <or> b`, `<all-in> a b`, or plain equality. */
export function matchExtraSpec(value: string, requirement: string): boolean {
  const words = requirement.split(/\s+/).filter((w) => w !== '')
  const op = words.shift()
  if (op === '<or>') {
    for (let i = 0; i < words.length; i += 2) if (words[i] === value) return true
    return false
  }
  if (op === '<all-in>') return words.length > 0 && words.every((w) => value.includes(w))
  const method = op === undefined ? undefined : OPS[op]
  if (!method) return value === requirement
  return words.length > 0 ? method(value, words[0]!) : false
}

/**
 * Nova's AggregateInstanceExtraSpecsFilter for the `aggregate_instance_extra_specs:`
 * scope: every such flavor extra spec must match a value of that key in the
 * host's aggregates' metadata. (Nova also reads unscoped keys here; Lifeboat
 * leaves those to the flavor's other uses, so a flavor with free-form extra
 * specs still boots on hosts in no aggregate.)
 */
export function aggregateExtraSpecsPass(extraSpecs: Record<string, string>, hostMetadata: Map<string, Set<string>> | undefined): boolean {
  for (const [key, requirement] of Object.entries(extraSpecs)) {
    if (!key.startsWith(`${SCOPE}:`)) continue
    const values = hostMetadata?.get(key.slice(SCOPE.length + 1))
    if (!values || values.size === 0) return false
    if (![...values].some((v) => matchExtraSpec(v, requirement))) return false
  }
  return true
}

/** True when the flavor has any spec this filter reads (so the scheduler loads aggregate metadata only then). */
export function readsAggregateSpecs(extraSpecs: Record<string, string>): boolean {
  return Object.keys(extraSpecs).some((k) => k.startsWith(`${SCOPE}:`))
}
