/** What the dashboard's Content-Security-Policy is built from, per request. */
export interface DashboardCspInput {
  /** `http` or `https`: the scheme the browser used (the console proxy speaks ws or wss alike). */
  protocol: string
  /** The host name the browser used (no port), already checked by `consoleHostOf`. */
  hostname: string | null
  /** The console proxy's port, null when none listens. */
  consoleProxyPort: number | null
  /** A fresh random nonce for the `<style>` elements xterm.js creates at run time. */
  styleNonce: string
}

/** A host name that may go into a header: letters, digits, dots, dashes, or a bracketed IPv6 address. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$/

/**
 * The host name part of a `Host` header when it is a plain name or address,
 * else null (the policy then allows no console origin rather than echoing
 * whatever a client sent into a header).
 */
export function consoleHostOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(hostHeader)
  const host = match?.[1] ?? ''
  return SAFE_HOST.test(host) ? host : null
}

/**
 * The dashboard's policy: everything from its own origin; websockets also to
 * the console proxy on its own port of the same host (the serial and VNC
 * consoles); no inline script, no inline style but xterm.js' own `<style>`
 * elements, which carry the per-response nonce; no framing.
 */
export function dashboardCsp(input: DashboardCspInput): string {
  const connect = ["'self'"]
  if (input.hostname && input.consoleProxyPort !== null) {
    const scheme = input.protocol === 'https' ? 'wss' : 'ws'
    connect.push(`${scheme}://${input.hostname}:${input.consoleProxyPort}`)
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${input.styleNonce}'`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}
