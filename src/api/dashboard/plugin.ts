import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { StaticFolder, type StaticFile } from './static-files.js'
import { consoleHostOf, dashboardCsp } from './csp.js'

/** The repository (or installed package) root: this file is src/api/dashboard/ or dist/api/dashboard/. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Where `npm run build` (scripts/build-web.mjs) puts the dashboard. */
export const DASHBOARD_DIR = path.join(ROOT, 'dist', 'web', 'dashboard')

/** The placeholder index.html carries where the per-response style nonce goes. */
const NONCE_PLACEHOLDER = '__CSP_NONCE__'

const NOT_BUILT = 'The dashboard is not built: run `npm run build` (it bundles web/ into dist/web/).\n'

/** True when an Accept header asks for HTML before JSON (a browser's navigation, not an API client's request). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const html = accept.indexOf('text/html')
  const json = accept.indexOf('application/json')
  return html !== -1 && (json === -1 || html < json)
}

function accepts(req: FastifyRequest, encoding: string): boolean {
  const header = req.headers['accept-encoding']
  return typeof header === 'string' && header.split(',').some((part) => part.trim().split(';')[0] === encoding)
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile, body = file.body): FastifyReply {
  reply.type(file.contentType).header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff')
  // Asset names are not content-hashed: a browser checks again each time (cheap on loopback, never stale).
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-cache')
  if (body === file.body && accepts(req, 'gzip')) return reply.header('content-encoding', 'gzip').send(file.gzip)
  return reply.send(body)
}

/**
 * The web dashboard (web/dashboard, built into dist/web/dashboard) at
 * `/dashboard`: a client of the public APIs like any other (the browser holds
 * the user's token), served with a strict Content-Security-Policy. Not JSON:
 * the route-schema rule's allowlist names these routes.
 */
export function dashboardPlugin(ctx: ApiContext, dir = DASHBOARD_DIR) {
  const folder = new StaticFolder(dir)
  return async function dashboard(app: FastifyInstance): Promise<void> {
    app.get('/', async (req, reply) => {
      const index = folder.get('index.html')
      if (!index) return reply.code(404).type('text/plain; charset=utf-8').send(NOT_BUILT)
      const nonce = randomBytes(16).toString('base64')
      const csp = dashboardCsp({ protocol: req.protocol, hostname: consoleHostOf(req.headers.host), consoleProxyPort: ctx.consoleProxyPort(), styleNonce: nonce })
      reply.header('content-security-policy', csp).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer')
      reply.header('cache-control', 'no-store')
      const html = index.body.toString('utf8').replaceAll(NONCE_PLACEHOLDER, nonce)
      return send(req, reply, index, Buffer.from(html))
    })
    app.get<{ Params: { file: string } }>('/:file', async (req, reply) => {
      const file = req.params.file === 'index.html' ? null : folder.get(req.params.file)
      if (!file) {
        if (req.params.file === 'index.html') return reply.redirect('/dashboard/')
        return reply.code(404).type('text/plain; charset=utf-8').send(folder.built() ? 'Not found\n' : NOT_BUILT)
      }
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
      return send(req, reply, file)
    })
  }
}
