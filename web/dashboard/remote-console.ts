import type { Api } from './api.js'

/** Nova's console types the dashboard opens (`POST /servers/{id}/remote-consoles`, microversion 2.6+). */
export type ConsoleKind = 'serial' | 'novnc'

/** Asks Nova for a console URL: `ws(s)://host:port/?token=…` (serial) or `http(s)://host:port/vnc_auto.html?path=%3Ftoken%3D…` (noVNC). */
export async function remoteConsoleUrl(api: Api, serverId: string, kind: ConsoleKind): Promise<string> {
  const remote_console = kind === 'serial' ? { protocol: 'serial', type: 'serial' } : { protocol: 'vnc', type: 'novnc' }
  const body = await api.request<{ remote_console: { url: string } }>('compute', `/servers/${encodeURIComponent(serverId)}/remote-consoles`, { body: { remote_console } })
  return body.remote_console.url
}

/**
 * The websocket a noVNC URL stands for: its `path` query (`?token=…`) on the
 * root of the proxy's host and port, as Nova's own vnc_auto.html connects.
 */
export function novncWebsocketUrl(consoleUrl: string): string {
  const url = new URL(consoleUrl)
  const path = url.searchParams.get('path') ?? ''
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${url.host}/${path.replace(/^\//, '')}`
}
