import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import type { ConsoleType } from '../../services/consoles/console-tokens.js'

/** A DNS name or IPv4 address, or a bracketed IPv6 address (with a zone): what may stand as a URL's host. */
const SAFE_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._~-]+)?\])$/

/** A host for a URL: an IPv6 address bracketed, anything else as it is. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/**
 * The console proxy's URL of a console type, without the token (Nova's
 * `access_url_base`: `[vnc] novncproxy_base_url`, `[serial_console]
 * base_url`): noVNC's page for VNC, the websocket root for the serial
 * console. TLS (`secure`) makes them https/wss; the one place the scheme is
 * chosen.
 */
export function consoleUrl(kind: ConsoleType, requestHost: string, port: number, secure: boolean): string {
  const host = urlHost(requestHost)
  if (kind === 'novnc') return `${secure ? 'https' : 'http'}://${host}:${port}/vnc_auto.html`
  return `${secure ? 'wss' : 'ws'}://${host}:${port}/`
}

/**
 * The host name the client reached the API at (its Host header, without the
 * port), so the console URL works from where the client is; a missing or
 * malformed header falls back to the public URL's host.
 */
export function requestHostOf(req: FastifyRequest, publicUrl: string): string {
  const hostname = req.hostname
  if (hostname && SAFE_HOST.test(hostname)) return hostname
  return new URL(publicUrl).hostname
}

/**
 * For the compute service: the console proxy URL of a type as this request
 * sees it, or null while no console proxy listens (the type is then
 * unavailable, as a disabled proxy makes it in Nova).
 */
export function accessUrlBaseFor(ctx: ApiContext, req: FastifyRequest): (type: ConsoleType) => string | null {
  return (type) => {
    const port = ctx.consoleProxyPort()
    if (port === null) return null
    return consoleUrl(type, requestHostOf(req, ctx.publicUrl()), port, req.protocol === 'https')
  }
}
