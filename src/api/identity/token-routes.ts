import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { TokenRequest } from './schemas.js'
import type { TokenIdentity, TokenScope } from '../../services/identity/tokens.js'
import { InvalidRequest, NotFound, Unauthorized } from '../../services/errors.js'
import { buildCatalog } from '../../services/identity/catalog.js'
import { requestToken } from '../common/auth.js'
import { authorize } from '../../services/policy.js'
import { tokenView, projectView, listLinks } from './views.js'
import { firstValue } from '../../util/query-values.js'
import { CatalogResponse, ProjectListResponse, TokenResponse } from './response-schemas.js'

function readIdentity(body: TokenRequest): TokenIdentity {
  const { identity } = body.auth
  if (identity.methods.includes('password')) {
    const user = identity.password?.user
    if (!user) throw new InvalidRequest("Invalid input for field 'identity': 'password' is a required property")
    return { method: 'password', userId: user.id, userName: user.name, domainId: user.domain?.id, domainName: user.domain?.name, password: user.password }
  }
  if (identity.methods.includes('token')) {
    if (!identity.token) throw new InvalidRequest("Invalid input for field 'identity': 'token' is a required property")
    return { method: 'token', token: identity.token.id }
  }
  throw new Unauthorized('Attempted to authenticate with an unsupported method.')
}

function readScope(body: TokenRequest): TokenScope {
  const scope = body.auth.scope
  if (scope === undefined) return { kind: 'default' }
  if (scope === 'unscoped') return { kind: 'unscoped' }
  if (scope.project) {
    const p = scope.project
    return { kind: 'project', projectId: p.id, projectName: p.name, domainId: p.domain?.id, domainName: p.domain?.name }
  }
  // Lifeboat has no domain- or system-scoped role assignments to grant.
  throw new Unauthorized('The request you have made requires authentication.')
}

/** An unknown, expired or revoked subject token is a 404 (Keystone's answer); anything else goes through. */
function invalidTokenAsNotFound(error: unknown): never {
  throw error instanceof Unauthorized ? new NotFound('Could not find token.') : error
}

/** `/v3/auth/*`: issue, validate and revoke tokens; the caller's projects and catalog. */
export function tokenRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { tokens, directory } = ctx.services

  async function tokenBody(token: string, withCatalog: boolean) {
    const auth = await tokens.validate(token)
    const domains = new Map((await directory.listDomains()).map((d) => [d.id, d.name]))
    const roleIds = new Map((await directory.listRoles()).map((r) => [r.name, r.id]))
    const catalog = withCatalog ? (auth.projectId === null ? [] : buildCatalog(ctx.publicUrl(), ctx.config.region, auth.projectId)) : null
    return tokenView(auth, roleIds, (id) => domains.get(id) ?? id, catalog)
  }

  function subjectToken(headers: Record<string, string | string[] | undefined>): string {
    const token = firstValue(headers['x-subject-token'])
    if (!token) throw new InvalidRequest('The request you have made requires a X-Subject-Token header.')
    return token
  }

  return async (app) => {
    app.post('/v3/auth/tokens', { schema: { body: TokenRequest, response: TokenResponse }, config: { public: true } }, async (req, reply) => {
      const { token } = await tokens.issue(readIdentity(req.body), readScope(req.body))
      const nocatalog = (req.query as Record<string, string>).nocatalog !== undefined
      reply.header('X-Subject-Token', token).status(201)
      return tokenBody(token, !nocatalog)
    })

    app.get('/v3/auth/tokens', { schema: { response: TokenResponse } }, async (req, reply) => {
      const subject = subjectToken(req.headers)
      if (subject !== requestToken(req.headers)) authorize(req.auth, 'identity:validate_token', 'admin')
      const nocatalog = (req.query as Record<string, string>).nocatalog !== undefined
      const body = await tokenBody(subject, !nocatalog).catch(invalidTokenAsNotFound)
      reply.header('X-Subject-Token', subject)
      return body
    })

    app.head('/v3/auth/tokens', async (req, reply) => {
      const subject = subjectToken(req.headers)
      if (subject !== requestToken(req.headers)) authorize(req.auth, 'identity:check_token', 'admin')
      await tokens.validate(subject).catch(invalidTokenAsNotFound)
      reply.header('X-Subject-Token', subject).status(200).send()
    })

    app.delete('/v3/auth/tokens', async (req, reply) => {
      const subject = subjectToken(req.headers)
      if (subject !== requestToken(req.headers)) authorize(req.auth, 'identity:revoke_token', 'admin')
      await tokens.revoke(subject)
      reply.status(204).send()
    })

    app.get('/v3/auth/projects', { schema: { response: ProjectListResponse } }, async (req) => {
      const base = `${ctx.publicUrl()}/identity`
      const projects = await directory.projectsOfUser(req.auth.userId)
      return { projects: projects.filter((p) => p.enabled).map((p) => projectView(p, base)), links: listLinks(base, '/v3/auth/projects') }
    })

    app.get('/v3/auth/catalog', { schema: { response: CatalogResponse } }, async (req) => {
      const base = `${ctx.publicUrl()}/identity`
      return { catalog: req.auth.projectId === null ? [] : buildCatalog(ctx.publicUrl(), ctx.config.region, req.auth.projectId), links: listLinks(base, '/v3/auth/catalog') }
    })
  }
}

