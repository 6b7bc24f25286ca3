import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { serviceUpdatedAt } from './views/service-view.js'
import { AvailabilityZoneListResponse } from './schemas/project-responses.js'

/** Compute routes: `os-availability-zone` (everyone) and its detail with hosts (admin). */
export function availabilityZonesRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const computeHosts = () => ctx.services.computeHosts
  const zoneNames = () => computeHosts().zoneNames()

  return async (app) => {
    app.get('/os-availability-zone', { schema: { response: AvailabilityZoneListResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:os-availability-zone:list', 'reader')
      return { availabilityZoneInfo: (await zoneNames()).map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: null })) }
    })
    app.get('/os-availability-zone/detail', { schema: { response: AvailabilityZoneListResponse } }, async (req) => {
      authorize(req.auth, 'os_compute_api:os-availability-zone:detail', 'admin')
      const hosts = (await computeHosts().list()).filter((h) => !h.row.disabled)
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
