import fc from 'fast-check'

/** One request the fuzzer sends: everything raw, so that it can be wrong. */
export interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: string
}

/** A route as the app lists it: method and path with `:param` segments. */
export interface RouteShape {
  method: string
  path: string
}

/**
 * The app's routes from `printRoutes({ commonPrefix: false })`: each tree
 * line is a node whose text continues its parent's path (4 columns a level).
 */
export function parseRouteTree(tree: string): RouteShape[] {
  const stack: string[] = []
  const routes: RouteShape[] = []
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line)
    if (!match) continue
    const depth = match[1]!.length / 4
    const parent = depth === 0 ? '' : stack[depth - 1]!
    const full = parent + match[2]!
    stack[depth] = full
    // find-my-way prints two parameter names sharing a node as `:id|:projectId`.
    const path = full.replace(/:([A-Za-z_]+)\|:[A-Za-z_]+/g, ':$1')
    for (const method of (match[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean)) routes.push({ method, path: path.replace(/\/\//g, '/') })
  }
  return routes
}

/** Keys that reach Object.prototype when a table is a plain object. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__']

const controlChar = fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c))

/** Strings that have broken parsers and lookups before. */
const nastyString = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS, '', ' ', '.', '..', '%', '%00', '\u0000', 'a\u0000b', '\n', '\r\n', '\u2028', '💥', 'é', 'null', 'true', '-1', '0', '1e309', 'NaN',
    "'", '"', '\\', '{', '[', '*', '^(a+)+$', '../../etc/passwd', 'SELECT 1;--', '${x}', 'latest', '2.999'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: controlChar, minLength: 1, maxLength: 5 }),
  fc.integer({ min: 256, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.uuid(),
)

/** Any JSON value, skewed to the shapes that break handlers: wrong types, prototype keys, nesting. */
const wrongValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(['']),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom(...PROTOTYPE_KEYS)), tie('value'), { maxKeys: 3 }),
  ),
})).value

/** Nesting deep enough to overflow a recursive parser or validator. */
const deepJson = fc.tuple(fc.integer({ min: 65, max: 50_000 }), fc.constantFrom('[', '{"a":'), fc.boolean()).map(([depth, open, closed]) => {
  const close = open === '[' ? ']' : '}'
  return open.repeat(depth) + '1' + (closed ? close.repeat(depth) : '')
})

const malformedJson = fc.constantFrom('{', '}', '{"a":}', '[1,]', "{'a': 1}", 'nul', '\u0000', '{"a":"\u0000"}', '{"__proto__": {"x": 1}}',
  '{"constructor": {"prototype": {"x": 1}}}', '1', '"s"', 'true', '[]', '{}', '\ufeff{}', '{"a":1}{"b":2}', '   ', '{"a": 1e999}', '{"a":-0}')

/** A body whose top-level keys are the route's own (or an action's) names with wrong values. */
function keyedBody(keys: readonly string[]): fc.Arbitrary<string> {
  return fc.dictionary(fc.oneof(fc.constantFrom(...keys, ...PROTOTYPE_KEYS), nastyString), wrongValue, { minKeys: 1, maxKeys: 3 })
    .chain((outer) => fc.oneof(
      fc.constant(outer as unknown),
      // One level down too: `{"server": {"name": …}}`, `{"reboot": {"type": …}}`.
      fc.tuple(fc.constantFrom(...keys), fc.dictionary(fc.oneof(fc.constantFrom(...keys, ...PROTOTYPE_KEYS), nastyString), wrongValue, { maxKeys: 4 }))
        .map(([k, inner]) => ({ [k]: inner })),
    ))
    .map((body) => JSON.stringify(body))
}

/** Bodies of every kind for a route family whose bodies use `keys`. */
export function bodyArb(keys: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: keyedBody(keys), weight: 6 },
    { arbitrary: malformedJson, weight: 2 },
    { arbitrary: deepJson, weight: 2 },
    { arbitrary: wrongValue.map((v) => JSON.stringify(v) ?? 'null'), weight: 1 },
  )
}

/** A path parameter: a real id of the family, or something nasty (URL-encoded, as clients send it). */
function paramArb(realIds: readonly string[]): fc.Arbitrary<string> {
  const real = realIds.length > 0 ? fc.constantFrom(...realIds) : fc.uuid()
  return fc.oneof({ arbitrary: real, weight: 3 }, { arbitrary: nastyString, weight: 4 }).map((s) => encodeURIComponent(s))
}

const QUERY_KEYS = ['name', 'limit', 'marker', 'sort_key', 'sort_dir', 'status', 'all_tenants', 'changes-since', 'changes-before', 'detail', 'tags', 'tags-any',
  'not-tags', 'flavor', 'image', 'ip', 'host', 'deleted', 'project_id', 'user_id', 'member_status', 'visibility', 'owner', 'metadata', 'resources', 'required',
  'member_of', 'in_tree', 'uuid', 'nocatalog', 'length', 'minRam', 'minDisk', 'is_public', 'with_servers', 'offset', 'with_count', 'type', 'os_hidden']

const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS, ...PROTOTYPE_KEYS), nastyString), fc.oneof(nastyString, fc.integer().map(String))), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')))

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded',
  'application/openstack-images-v2.1-json-patch', 'application/merge-patch+json', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'nonsense']

/** Headers as clients (and careless ones) send them; tokens given by the caller. */
function headersArb(tokens: readonly string[], extra: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Record<string, string>> {
  const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 30 })
  const version = fc.oneof(fc.constantFrom('2.1', '2.95', '2.999', 'latest', '3.0', '1.39', 'abc', '', '2.', '.1', '99999999999999999999.1', '2.1 2.2'), latin1)
  return fc.record({
    // Mostly valid tokens and JSON, so that most requests reach the route code.
    token: fc.oneof({ arbitrary: fc.constantFrom(...tokens), weight: 8 }, fc.constant(''), latin1, fc.constant('x'.repeat(9000))),
    contentType: fc.oneof({ arbitrary: fc.constant('application/json'), weight: 6 }, fc.constantFrom(...CONTENT_TYPES)),
    version: fc.option(version, { freq: 3 }),
    service: fc.constantFrom('compute', 'volume', 'placement', 'image', 'identity', ''),
    extra: fc.record(extra, { requiredKeys: [] }),
  }).map(({ token, contentType, version, service, extra }) => {
    const h: Record<string, string> = { accept: 'application/json', 'content-type': contentType, ...extra }
    if (version !== null) Object.assign(h, { 'openstack-api-version': `${service} ${version}`, 'x-openstack-nova-api-version': version })
    if (token !== '') h['x-auth-token'] = token
    return h
  })
}

/** What the generator needs to know about one route family. */
export interface FamilySpec {
  routes: readonly RouteShape[]
  /** Real ids to put in `:param` segments (by parameter name), so requests get past the lookup. */
  ids: Record<string, readonly string[]>
  /** Top-level and second-level body keys this family's routes read. */
  bodyKeys: readonly string[]
  tokens: readonly string[]
  /** Extra headers (agent credentials, X-Subject-Token…). */
  extraHeaders?: Record<string, fc.Arbitrary<string>>
}

/** Requests over one route family. */
export function requestArb(spec: FamilySpec): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    route: fc.constantFrom(...spec.routes),
    query: queryArb,
    body: fc.option(bodyArb(spec.bodyKeys), { freq: 4 }),
    headers: headersArb(spec.tokens, spec.extraHeaders ?? {}),
    seedIds: fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 4, maxLength: 4 }),
    nasty: fc.array(paramArb([]), { minLength: 4, maxLength: 4 }),
  }).map(({ route, query, body, headers, seedIds, nasty }) => {
    let n = 0
    // Each `:name` takes a real id of its kind most of the time, else a nasty string.
    const path = route.path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
      const [useReal, pick] = seedIds[n % 4]!
      const pool = spec.ids[name] ?? []
      const value = useReal && pool.length > 0 ? encodeURIComponent(pool[pick % pool.length]!) : nasty[n % 4]!
      n++
      return value
    })
    return { method: route.method, path: path + query, headers, ...(body === null ? {} : { body }) }
  })
}
