/**
 * Python's `repr` of a JSON value, as Nova's jsonschema messages quote the
 * offending value ("'foo' is not one of ['affinity', 'anti-affinity']").
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return value.includes("'") && !value.includes('"') ? `"${value}"` : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`
  return String(value)
}

/** Python's `str` of a JSON value: strings bare, anything else as `repr` (Nova's "Value: %(value)s"). */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}
