import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isAtLeast, type Microversion } from '../common/microversion.js'
import { authorize, scopedProjectId } from '../../services/policy.js'
import type { ProjectLimits } from '../../services/compute/project-limits.js'
import { firstValue } from './paging.js'
import { rejectUnknownQuery } from './query-checks.js'
import { LimitsResponse } from './schemas/project-responses.js'

// nova/api/openstack/compute/views/limits.py: quota name → the names shown.
const LIMIT_NAMES: Array<[keyof ProjectLimits['limits'], string[]]> = [
  ['ram', ['maxTotalRAMSize']], ['instances', ['maxTotalInstances']], ['cores', ['maxTotalCores']], ['key_pairs', ['maxTotalKeypairs']],
  ['floating_ips', ['maxTotalFloatingIps']], ['metadata_items', ['maxServerMeta', 'maxImageMeta']], ['injected_files', ['maxPersonality']],
  ['injected_file_content_bytes', ['maxPersonalitySize']], ['security_groups', ['maxSecurityGroups']],
  ['security_group_rules', ['maxSecurityGroupRules']], ['server_groups', ['maxServerGroups']], ['server_group_members', ['maxServerGroupMembers']],
]
const USED_NAMES: Array<[string, keyof ProjectLimits['inUse']]> = [
  ['totalRAMUsed', 'ram'], ['totalCoresUsed', 'cores'], ['totalInstancesUsed', 'instances'], ['totalFloatingIpsUsed', 'floating_ips'],
  ['totalSecurityGroupsUsed', 'security_groups'], ['totalServerGroupsUsed', 'server_groups'],
]

/** The absolute limits for a microversion: network ones go at 2.36, maxImageMeta at 2.39, personality at 2.57. */
function absoluteView(data: ProjectLimits, mv: Microversion): Record<string, number> {
  const filtered = new Set<string>()
  if (isAtLeast(mv, '2.36')) for (const k of ['floating_ips', 'security_groups', 'security_group_rules']) filtered.add(k)
  if (isAtLeast(mv, '2.57')) for (const k of ['injected_files', 'injected_file_content_bytes']) filtered.add(k)
  const absolute: Record<string, number> = {}
  for (const [quota, names] of LIMIT_NAMES) {
    if (filtered.has(quota)) continue
    for (const name of names) if (!(name === 'maxImageMeta' && isAtLeast(mv, '2.39'))) absolute[name] = data.limits[quota]
  }
  for (const [name, quota] of USED_NAMES) if (!filtered.has(quota)) absolute[name] = data.inUse[quota]
  return absolute
}

/** Compute routes: `GET /limits` (absolute limits and usage of the caller's project; admins may ask for `tenant_id`). */
export function limitsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/limits', { schema: { querystring: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())])), response: LimitsResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:limits', 'reader')
      if (isAtLeast(req.microversion, '2.75')) rejectUnknownQuery(req.query, ['tenant_id', 'reserved'])
      let projectId = scopedProjectId(req.auth, 'os_compute_api:limits')
      const other = firstValue(req.query.tenant_id)
      if (other !== undefined) {
        authorize(req.auth, 'os_compute_api:limits:other_project', 'admin')
        projectId = other
      }
      return { limits: { rate: [], absolute: absoluteView(await ctx.services.limits.forProject(projectId), req.microversion) } }
    })
  }
}
