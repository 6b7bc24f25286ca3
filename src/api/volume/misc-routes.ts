import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { DEFAULT_VOLUME_TYPE, findVolumeType } from '../../services/volume/volume-types.js'
import { VOLUME_AVAILABILITY_ZONE } from '../../services/volume/volume-env.js'
import { IdParams, ProjectParams } from './schemas.js'
import { requireMicroversion } from './request-helpers.js'
import { volumeTypeView } from './views.js'

/** What clients ask for besides volumes: types, availability zones, limits. */
export function miscRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const volumes = ctx.services.volumes
  return async (app) => {
    app.get('/types', { schema: { params: ProjectParams } }, async (req) => {
      authorize(req.auth, 'volume_extension:types_manage', 'reader')
      return { volume_types: [volumeTypeView(DEFAULT_VOLUME_TYPE)] }
    })
    // 3.62: the project's default type.
    app.get('/types/default', { schema: { params: ProjectParams } }, async (req) => {
      requireMicroversion(req, '3.62')
      return { volume_type: volumeTypeView(DEFAULT_VOLUME_TYPE) }
    })
    app.get('/types/:id', { schema: { params: IdParams } }, async (req) => {
      authorize(req.auth, 'volume_extension:types_manage', 'reader')
      return { volume_type: volumeTypeView(findVolumeType(req.params.id)) }
    })

    app.get('/os-availability-zone', { schema: { params: ProjectParams } }, async () => ({
      availabilityZoneInfo: [{ zoneName: VOLUME_AVAILABILITY_ZONE, zoneState: { available: true } }],
    }))

    // Lifeboat sets no quotas: every maximum is -1 (unlimited), the usage is real.
    app.get('/limits', { schema: { params: ProjectParams } }, async (req) => {
      const usage = await volumes.usage(req.auth)
      return {
        limits: {
          rate: [],
          absolute: {
            maxTotalVolumes: -1, maxTotalSnapshots: -1, maxTotalVolumeGigabytes: -1, maxTotalBackups: -1, maxTotalBackupGigabytes: -1,
            totalVolumesUsed: usage.volumes, totalSnapshotsUsed: usage.snapshots, totalGigabytesUsed: usage.gigabytes,
            totalBackupsUsed: 0, totalBackupGigabytesUsed: 0,
          },
        },
      }
    })
  }
}
