/** The request headers the Origin check reads. */
export interface OriginHeaders {
  origin?: string | undefined
  host?: string | undefined
  'x-forwarded-proto'?: string | string[] | undefined
}

/** The hostname of a `Host` header (`[::1]:6080` → `::1`, `example.org:6080` → `example.org`). */
function hostnameOfHost(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') === -1 ? undefined : host.indexOf(']'))
  return host.split(':')[0]!
}

/**
 * Nova's Origin check of a console websocket (`NovaProxyRequestHandler.new_websocket_client`
 * and `verify_origin_proto`): a missing Origin is a non-browser client and
 * passes; otherwise its hostname must be the `Host` header's (or one of
 * `allowedOrigins`, Nova's `[console] allowed_origins`) and its scheme (or
 * `X-Forwarded-Proto`) the console URL's, a `ws`/`wss` URL (serial) accepting `http`/`https` pages.
 * Returns Nova's reason for a refusal, or null.
 */
export function originProblem(headers: OriginHeaders, accessUrlBase: string, allowedOrigins: readonly string[] = []): string | null {
  const originHeader = headers.origin
  if (originHeader === undefined) return null
  let origin: URL
  try {
    origin = new URL(originHeader)
  } catch {
    return 'Origin header not valid.'
  }
  const forwarded = headers['x-forwarded-proto']
  const scheme = (typeof forwarded === 'string' && forwarded !== '' ? forwarded : origin.protocol.replace(/:$/, '')).toLowerCase()
  const hostname = origin.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (hostname === '' || scheme === '') return 'Origin header not valid.'
  const expected = [...allowedOrigins.map((h) => h.toLowerCase()), hostnameOfHost(headers.host ?? '').toLowerCase()]
  if (!expected.includes(hostname)) return 'Origin header does not match this host.'
  let accessScheme: string
  try {
    accessScheme = new URL(accessUrlBase).protocol.replace(/:$/, '')
  } catch {
    accessScheme = 'http'
  }
  const schemes = [accessScheme]
  if (accessScheme === 'ws') schemes.push('http')
  if (accessScheme === 'wss') schemes.push('https')
  if (!schemes.includes(scheme)) return 'Origin header protocol does not match this host.'
  return null
}
