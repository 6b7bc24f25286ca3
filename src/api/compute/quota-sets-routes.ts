import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast, type Microversion } from '../common/microversion.js'
import { InvalidRequest } from '../../services/errors.js'
import { isTrueString } from '../../util/bool-string.js'
import { DEFAULT_QUOTAS, type ComputeQuota } from '../../services/compute/compute-quotas.js'
import { firstValue, type QueryValue } from './paging.js'
import { rejectUnknownQuery } from './query-checks.js'
import { QuotaSetDetailResponse, QuotaSetResponse } from './schemas/project-responses.js'

// nova/api/openstack/compute/quota_sets.py: quotas hidden (and refused in a PUT) from 2.36 and 2.57.
const FILTERED_2_36: ComputeQuota[] = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups']
const FILTERED_2_57: ComputeQuota[] = [...FILTERED_2_36, 'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes']

function filteredAt(mv: Microversion): Set<string> {
  return new Set(isAtLeast(mv, '2.57') ? FILTERED_2_57 : isAtLeast(mv, '2.36') ? FILTERED_2_36 : [])
}

/** Nova's `_format_quota_set`: the quotas shown at this microversion, with `id` when given. */
function quotaSetView<T>(values: Record<ComputeQuota, T>, mv: Microversion, id?: string): { quota_set: Record<string, T | string> } {
  const hidden = filteredAt(mv)
  const result: Record<string, T | string> = id === undefined ? {} : { id }
  for (const key of Object.keys(DEFAULT_QUOTAS) as ComputeQuota[]) if (!hidden.has(key)) result[key] = values[key]
  return { quota_set: result }
}

const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1, maxLength: 255 }) })
// Nova's common_quota: an integer (or integer string) from -1 to MAX_INT; `force` a boolean.
const QuotaValue = Type.Union([Type.Integer({ minimum: -1, maximum: 2147483647 }), Type.String({ pattern: '^-?[0-9]{1,10}$' })])
const UpdateBody = Type.Object({
  quota_set: Type.Record(Type.String(), Type.Union([QuotaValue, Type.Boolean()])),
}, { additionalProperties: false })
const Query = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]))

/** The quotas a PUT sets, checked against the quotas known at this microversion (400 with Nova's schema words). */
function quotasToSet(body: Record<string, unknown>, mv: Microversion): { values: Partial<Record<ComputeQuota, number>>; force: boolean } {
  const hidden = filteredAt(mv)
  const values: Partial<Record<ComputeQuota, number>> = {}
  let force = false
  for (const [key, raw] of Object.entries(body)) {
    if (key === 'force') {
      // Nova: strutils.bool_from_string(force); the body's validator may already have made `true` a 1.
      force = isTrueString(String(raw))
      continue
    }
    if (!Object.hasOwn(DEFAULT_QUOTAS, key) || hidden.has(key)) {
      throw new InvalidRequest(`Invalid input for field/attribute quota_set. Value: ${JSON.stringify(body)}. Additional properties are not allowed ('${key}' was unexpected)`)
    }
    const value = typeof raw === 'string' ? Number(raw) : raw
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -1 || value > 2147483647) {
      throw new InvalidRequest(`Invalid input for field/attribute ${key}. Value: ${String(raw)}. ${String(raw)} is less than the minimum of -1`)
    }
    values[key as ComputeQuota] = value
  }
  return { values, force }
}

/** Nova's quota-set query (`user_id`; any other parameter is a 400 from 2.75): the user, when one is named. */
function userIdOf(query: Record<string, QueryValue>, mv: Microversion): string | undefined {
  if (isAtLeast(mv, '2.75')) rejectUnknownQuery(query, ['user_id'])
  // urlparse.parse_qs drops blank values: `?user_id=` names no user.
  const userId = firstValue(query.user_id) || undefined
  // Nova's user_id columns hold 255 characters; a longer id can't name a user.
  if (userId !== undefined && userId.length > 255) throw new InvalidRequest(`Invalid input for query parameters user_id. Value: ${userId}. '${userId}' is too long`)
  return userId
}

/** Compute routes: `os-quota-sets` (show, detail, defaults; admins update and delete), of a project or, with `user_id`, of a user in it. */
export function quotaSetsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const quotas = ctx.services.computeQuotas
  return async (app) => {
    app.get('/os-quota-sets/:project_id', { schema: { params: ProjectParams, querystring: Query, response: QuotaSetResponse } }, async (req) => {
      return quotaSetView(await quotas.show(req.auth, req.params.project_id, userIdOf(req.query, req.microversion)), req.microversion, req.params.project_id)
    })
    app.get('/os-quota-sets/:project_id/detail', { schema: { params: ProjectParams, querystring: Query, response: QuotaSetDetailResponse } }, async (req) => {
      return quotaSetView(await quotas.detail(req.auth, req.params.project_id, userIdOf(req.query, req.microversion)), req.microversion, req.params.project_id)
    })
    app.get('/os-quota-sets/:project_id/defaults', { schema: { params: ProjectParams, response: QuotaSetResponse } }, async (req) => {
      return quotaSetView(await quotas.defaults(req.auth, req.params.project_id), req.microversion, req.params.project_id)
    })
    app.put('/os-quota-sets/:project_id', { schema: { params: ProjectParams, querystring: Query, body: UpdateBody, response: QuotaSetResponse } }, async (req) => {
      const userId = userIdOf(req.query, req.microversion)
      const { values, force } = quotasToSet(req.body.quota_set, req.microversion)
      // Nova answers an update without the `id` (quota_sets.py `_update`).
      return quotaSetView(await quotas.update(req.auth, req.params.project_id, values, force, userId), req.microversion)
    })
    app.delete('/os-quota-sets/:project_id', { schema: { params: ProjectParams, querystring: Query } }, async (req, reply) => {
      await quotas.reset(req.auth, req.params.project_id, userIdOf(req.query, req.microversion))
      reply.status(202).send()
    })
  }
}
