import fs from 'node:fs'
import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * The page's policy: its own bundle only (no inline script, no eval), and
 * websockets to any host (the console stream is this listener's, reached as
 * `ws:` or `wss:`, which `'self'` does not cover in every browser).
 */
export const VNC_PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'none'"

/** The names noVNC's pages have had (Nova's default base URL is `vnc_auto.html`); all are the one page. */
const PAGE_ALIASES = new Set(['vnc_auto.html', 'vnc_lite.html', 'vnc.html'])

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
}

/**
 * The built noVNC page (`web/vnc/`, bundled into `dist/web/vnc/`): found
 * beside the compiled code (dist/api/console → dist/web) or, when the sources
 * run through tsx, in the checkout's dist/.
 */
export function vncPageDir(): string | null {
  const candidates = [path.resolve(import.meta.dirname, '../../web/vnc'), path.resolve(import.meta.dirname, '../../../dist/web/vnc')]
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'vnc_auto.html'))) ?? null
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'x-content-type-options': 'nosniff', ...extra })
  res.end(body)
}

/**
 * Answers a plain HTTP request to the console listener: GET/HEAD of the page
 * (under any of its names) and of the files beside it; 404 for the rest.
 * Only names listed in the page's folder are served (no path is ever joined
 * from the request), so nothing outside it can be reached.
 */
export function serveVncPage(req: IncomingMessage, res: ServerResponse, dir: string | null): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { allow: 'GET, HEAD' })
    return
  }
  const pathname = new URL(req.url ?? '/', 'http://console').pathname
  const requested = pathname.replace(/^\/+/, '')
  const name = PAGE_ALIASES.has(requested) ? 'vnc_auto.html' : requested
  const files = dir && name !== '' && !name.includes('/') ? fs.readdirSync(dir) : []
  if (!dir || !files.includes(name)) {
    send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n')
    return
  }
  const body = fs.readFileSync(path.join(dir, name))
  const type = CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream'
  const headers: Record<string, string> = { 'cache-control': 'no-cache', 'referrer-policy': 'no-referrer' }
  if (name.endsWith('.html')) headers['content-security-policy'] = VNC_PAGE_CSP
  res.writeHead(200, { 'content-type': type, 'content-length': String(body.length), 'x-content-type-options': 'nosniff', ...headers })
  res.end(req.method === 'HEAD' ? undefined : body)
}
