import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { isTrueString } from '../../util/bool-string.js'
import { authorize } from '../../services/policy.js'
import { DEFAULT_VOLUME_TYPE, findVolumeType } from '../../services/volume/volume-types.js'
import { VOLUME_AVAILABILITY_ZONE } from '../../services/volume/volume-env.js'
import { IdParams, ProjectParams } from './schemas.js'
import { requireMicroversion } from './request-helpers.js'
import { volumeTypeView } from './views.js'
import { VolumeLimitsResponse, VolumeQuotaSetResponse, VolumeTypeListResponse, VolumeTypeResponse, VolumeZoneListResponse } from './misc-response-schemas.js'

const QuotaQuery = Type.Object({ usage: Type.Optional(Type.String()) })
const QuotaSetBody = Type.Object({ quota_set: Type.Record(Type.String(), Type.Unknown()) })

/** What clients ask for besides volumes: types, availability zones, limits. */
export function miscRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const volumes = ctx.services.volumes
  return async (app) => {
    app.get('/types', { schema: { params: ProjectParams, response: VolumeTypeListResponse } }, async (req) => {
      authorize(req.auth, 'volume_extension:types_manage', 'reader')
      return { volume_types: [volumeTypeView(DEFAULT_VOLUME_TYPE)] }
    })
    // 3.62: the project's default type.
    app.get('/types/default', { schema: { params: ProjectParams, response: VolumeTypeResponse } }, async (req) => {
      requireMicroversion(req, '3.62')
      return { volume_type: volumeTypeView(DEFAULT_VOLUME_TYPE) }
    })
    app.get('/types/:id', { schema: { params: IdParams, response: VolumeTypeResponse } }, async (req) => {
      authorize(req.auth, 'volume_extension:types_manage', 'reader')
      return { volume_type: volumeTypeView(findVolumeType(req.params.id)) }
    })

    app.get('/os-availability-zone', { schema: { params: ProjectParams, response: VolumeZoneListResponse } }, async () => ({
      availabilityZoneInfo: [{ zoneName: VOLUME_AVAILABILITY_ZONE, zoneState: { available: true } }],
    }))

    // The project's quotas (os-quota-sets) and what it uses of them.
    app.get('/limits', { schema: { params: ProjectParams, response: VolumeLimitsResponse } }, async (req) => {
      const { quotas, used } = await volumes.quotas.limits(req.auth)
      return {
        limits: {
          rate: [],
          absolute: {
            maxTotalVolumes: quotas.volumes, maxTotalSnapshots: quotas.snapshots, maxTotalVolumeGigabytes: quotas.gigabytes,
            maxTotalBackups: quotas.backups, maxTotalBackupGigabytes: quotas.backup_gigabytes,
            totalVolumesUsed: used.volumes, totalSnapshotsUsed: used.snapshots, totalGigabytesUsed: used.gigabytes,
            totalBackupsUsed: 0, totalBackupGigabytesUsed: 0,
          },
        },
      }
    })

    // Cinder's os-quota-sets: show (?usage=True), defaults, update and delete (admins).
    app.get('/os-quota-sets/:id', { schema: { params: IdParams, querystring: QuotaQuery, response: VolumeQuotaSetResponse } }, async (req) => {
      const usage = req.query.usage !== undefined && isTrueString(String(req.query.usage))
      return { quota_set: { id: req.params.id, ...(await volumes.quotas.show(req.auth, req.params.id, usage)) } }
    })
    app.get('/os-quota-sets/:id/defaults', { schema: { params: IdParams, response: VolumeQuotaSetResponse } }, async (req) => {
      return { quota_set: { id: req.params.id, ...volumes.quotas.defaults(req.auth) } }
    })
    app.put('/os-quota-sets/:id', { schema: { params: IdParams, body: QuotaSetBody, response: VolumeQuotaSetResponse } }, async (req) => {
      return { quota_set: await volumes.quotas.update(req.auth, req.params.id, req.body.quota_set) }
    })
    app.delete('/os-quota-sets/:id', { schema: { params: IdParams } }, async (req, reply) => {
      await volumes.quotas.reset(req.auth, req.params.id)
      reply.status(200).send()
    })
  }
}
