import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { listComputeHosts } from '../../services/compute/compute-hosts.js'
import { serviceUpdatedAt } from './views/service-view.js'

/** The zone every Lifeboat host is in unless its service says otherwise (Nova's default_availability_zone). */
const DEFAULT_ZONE = 'nova'

/** Compute routes: `os-availability-zone` (everyone) and its detail with hosts (admin). */
export function availabilityZonesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const db = ctx.database.db

  async function zoneNames(): Promise<string[]> {
    const hosts = await listComputeHosts(db)
    return [...new Set([DEFAULT_ZONE, ...hosts.filter((h) => !h.row.disabled).map((h) => h.row.zone)])]
  }

  return async (app) => {
    app.get('/os-availability-zone', async (req) => {
      authorize(req.auth, 'os_compute_api:os-availability-zone:list', 'reader')
      return { availabilityZoneInfo: (await zoneNames()).map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: null })) }
    })
    app.get('/os-availability-zone/detail', async (req) => {
      authorize(req.auth, 'os_compute_api:os-availability-zone:detail', 'admin')
      const hosts = (await listComputeHosts(db)).filter((h) => !h.row.disabled)
      return {
        availabilityZoneInfo: (await zoneNames()).map((zoneName) => {
          const inZone: Record<string, Record<string, { available: boolean; active: boolean; updated_at: string | null }>> = {}
          for (const h of hosts.filter((x) => x.row.zone === zoneName)) {
            inZone[h.row.host] = { ...inZone[h.row.host], [h.row.binary]: { available: h.up, active: !h.row.disabled, updated_at: serviceUpdatedAt(h) } }
          }
          return { zoneName, zoneState: { available: true }, hosts: inZone }
        }),
      }
    })
  }
}
