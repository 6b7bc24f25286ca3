import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { InvalidRequest, NotFound } from '../../services/errors.js'
import { isAtLeast } from '../common/microversion.js'
import { parseLimit, parseSort } from '../../services/volume/volume-list.js'
import { VOLUME_SORT_KEYS, type VolumeFilter } from '../../services/volume/volume-service.js'
import { IdParams, MetadataBody, MetaItemBody, MetaKeyParams, ProjectParams, VOLUME_CREATE_KEYS, VolumeCreate, VolumeUpdate } from './schemas.js'
import { queryBool, queryParam, queryParams, requireMicroversion, strictBool, viewContext } from './request-helpers.js'
import { collectionLinks, volumeShowView, volumeSummaryView, volumeView } from './views.js'
import { VolumeListResponse, VolumeResponse } from './response-schemas.js'
import { VolumeMetadataResponse, VolumeMetaItemResponse, VolumeSummaryResponse } from './misc-response-schemas.js'

function volumeFilter(req: FastifyRequest): VolumeFilter {
  const metadata = queryParam(req, 'metadata')
  let parsedMetadata: Record<string, string> | undefined
  if (metadata !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(metadata.replace(/'/g, '"'))
    } catch {
      throw new InvalidRequest(`Invalid filter metadata: ${metadata}`)
    }
    // A dict of scalar values, as Cinder compares them; anything else is a client's mistake.
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidRequest(`Invalid filter metadata: ${metadata}`)
    parsedMetadata = Object.create(null) as Record<string, string>
    for (const [key, value] of Object.entries(parsed)) {
      if (value !== null && typeof value === 'object') throw new InvalidRequest(`Invalid filter metadata: ${metadata}`)
      parsedMetadata[key] = String(value)
    }
  }
  const bootable = queryParam(req, 'bootable')
  return {
    name: queryParam(req, 'name') ?? queryParam(req, 'display_name'),
    status: queryParam(req, 'status'),
    bootable: bootable === undefined ? undefined : strictBool(bootable, 'bootable'),
    availabilityZone: queryParam(req, 'availability_zone'),
    metadata: parsedMetadata,
    allTenants: queryBool(req, 'all_tenants'),
    projectId: queryParam(req, 'project_id'),
  }
}

/** Volumes: list, detail, show, create, update, delete, summary and metadata. */
export function volumeRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const volumes = ctx.services.volumes
  return async (app) => {
    const list = async (req: FastifyRequest, detail: boolean) => {
      const page = { limit: parseLimit(queryParam(req, 'limit')), marker: queryParam(req, 'marker'), sort: parseSort(queryParams(req), VOLUME_SORT_KEYS) }
      const { volumes: found, total } = await volumes.listVolumes(req.auth, volumeFilter(req), page)
      const view = viewContext(ctx, req)
      const body: { volumes: Array<Record<string, unknown>>; volumes_links?: Array<{ href: string; rel: string }>; count?: number } = { volumes: found.map((v) => (detail ? volumeShowView(view, v) : volumeSummaryView(view, v))) }
      const links = collectionLinks(view, detail ? 'volumes/detail' : 'volumes', found, page.limit, queryParams(req))
      if (links) body.volumes_links = links
      if (isAtLeast(req.microversion, '3.45') && queryBool(req, 'with_count')) body.count = total
      return body
    }
    app.get('/volumes', { schema: { params: ProjectParams, response: VolumeListResponse } }, (req) => list(req, false))
    app.get('/volumes/detail', { schema: { params: ProjectParams, response: VolumeListResponse } }, (req) => list(req, true))

    app.get('/volumes/summary', { schema: { params: ProjectParams, response: VolumeSummaryResponse } }, async (req) => {
      requireMicroversion(req, '3.12')
      const { volumes: found } = await volumes.listVolumes(req.auth, { allTenants: queryBool(req, 'all_tenants') }, { sort: [{ key: 'id', dir: 'asc' }], limit: Number.MAX_SAFE_INTEGER })
      const summary: { total_size: number; total_count: number; metadata?: Record<string, string[]> } = { total_size: found.reduce((s, v) => s + v.size, 0), total_count: found.length }
      if (isAtLeast(req.microversion, '3.36')) {
        const metadata: Record<string, string[]> = {}
        for (const v of found) for (const [k, value] of Object.entries(v.metadata)) if (!(metadata[k] ??= []).includes(value)) metadata[k]!.push(value)
        summary.metadata = metadata
      }
      return { 'volume-summary': summary }
    })

    app.get('/volumes/:id', { schema: { params: IdParams, response: VolumeResponse } }, async (req) => {
      return { volume: volumeShowView(viewContext(ctx, req), await volumes.showVolume(req.auth, req.params.id)) }
    })

    app.post('/volumes', { schema: { params: ProjectParams, body: VolumeCreate, response: VolumeResponse } }, async (req, reply) => {
      const v = req.body.volume
      if (isAtLeast(req.microversion, '3.53')) {
        const extra = Object.keys(v).find((k) => !(VOLUME_CREATE_KEYS as readonly string[]).includes(k))
        if (extra) throw new InvalidRequest(`Invalid input for field/attribute volume. Additional properties are not allowed ('${extra}' was unexpected)`)
      }
      if (strictBool(v.multiattach, 'multiattach')) {
        throw new InvalidRequest('multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. ' +
          'Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.')
      }
      if (v.consistencygroup_id || v.group_id) throw new NotFound(`Group ${v.consistencygroup_id ?? v.group_id} could not be found.`)
      if (v.backup_id) throw new NotFound(`Backup ${v.backup_id} could not be found.`)
      const volume = await volumes.createVolumeFromRequest(req.auth, {
        size: v.size,
        name: (v.name ?? v.display_name)?.trim() ?? null,
        description: (v.description ?? v.display_description)?.trim() ?? null,
        imageRef: v.imageRef ?? v.image_id ?? null,
        snapshotId: v.snapshot_id ?? null,
        sourceVolId: v.source_volid ?? null,
        availabilityZone: v.availability_zone ?? null,
        volumeType: v.volume_type ?? null,
        metadata: v.metadata ?? null,
      })
      reply.status(202)
      return { volume: volumeView(viewContext(ctx, req), volume) }
    })

    app.put('/volumes/:id', { schema: { params: IdParams, body: VolumeUpdate, response: VolumeResponse } }, async (req) => {
      const v = req.body.volume
      if (isAtLeast(req.microversion, '3.53') && Object.keys(v).length === 0) {
        throw new InvalidRequest('Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas')
      }
      const name = v.name !== undefined ? v.name : v.display_name
      const description = v.description !== undefined ? v.description : v.display_description
      const volume = await volumes.actions.update(req.auth, req.params.id, {
        name: name === undefined ? undefined : name?.trim() ?? null,
        description: description === undefined ? undefined : description?.trim() ?? null,
        metadata: v.metadata,
      })
      return { volume: volumeView(viewContext(ctx, req), volume) }
    })

    app.delete('/volumes/:id', { schema: { params: IdParams } }, async (req, reply) => {
      const force = isAtLeast(req.microversion, '3.23') && queryBool(req, 'force')
      await volumes.actions.delete(req.auth, req.params.id, { cascade: queryBool(req, 'cascade'), force })
      reply.status(202).send()
    })

    app.get('/volumes/:id/metadata', { schema: { params: IdParams, response: VolumeMetadataResponse } }, async (req) => {
      return { metadata: await volumes.actions.metadata(req.auth, req.params.id) }
    })
    app.post('/volumes/:id/metadata', { schema: { params: IdParams, body: MetadataBody, response: VolumeMetadataResponse } }, async (req) => {
      return { metadata: await volumes.actions.setMetadata(req.auth, req.params.id, req.body.metadata, false) }
    })
    app.put('/volumes/:id/metadata', { schema: { params: IdParams, body: MetadataBody, response: VolumeMetadataResponse } }, async (req) => {
      return { metadata: await volumes.actions.setMetadata(req.auth, req.params.id, req.body.metadata, true) }
    })
    app.get('/volumes/:id/metadata/:key', { schema: { params: MetaKeyParams, response: VolumeMetaItemResponse } }, async (req) => {
      const metadata = await volumes.actions.metadata(req.auth, req.params.id)
      if (!Object.hasOwn(metadata, req.params.key)) throw new NotFound(`Volume ${req.params.id} has no metadata with key ${req.params.key}.`)
      return { meta: { [req.params.key]: metadata[req.params.key] } }
    })
    app.put('/volumes/:id/metadata/:key', { schema: { params: MetaKeyParams, body: MetaItemBody, response: VolumeMetaItemResponse } }, async (req) => {
      const keys = Object.keys(req.body.meta)
      if (keys.length > 1) throw new InvalidRequest('Request body contains too many items')
      if (keys[0] !== req.params.key) throw new InvalidRequest('Request body and URI mismatch')
      await volumes.actions.setMetadata(req.auth, req.params.id, req.body.meta, false)
      return { meta: req.body.meta }
    })
    app.delete('/volumes/:id/metadata/:key', { schema: { params: MetaKeyParams } }, async (req, reply) => {
      await volumes.actions.deleteMetadataItem(req.auth, req.params.id, req.params.key)
      reply.status(200).send()
    })
  }
}
