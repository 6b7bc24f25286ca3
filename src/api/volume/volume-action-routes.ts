import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { InvalidRequest } from '../../services/errors.js'
import { IdParams, VolumeAction } from './schemas.js'
import { strictBool } from './request-helpers.js'
import { VolumeActionResponse } from './misc-response-schemas.js'

const ACTIONS = [
  'os-extend', 'os-set_bootable', 'os-reset_status', 'os-force_delete', 'os-reserve', 'os-unreserve', 'os-begin_detaching',
  'os-roll_detaching', 'os-attach', 'os-detach', 'os-initialize_connection', 'os-terminate_connection',
] as const

/** `POST /volumes/{id}/action`: one handler per action, each answering as Cinder does (202, or 200 where Cinder does). */
export function volumeActionRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const volumes = ctx.services.volumes
  return async (app) => {
    app.post('/volumes/:id/action', { schema: { params: IdParams, body: VolumeAction, response: VolumeActionResponse } }, async (req, reply) => {
      const body = req.body
      const name = Object.keys(body ?? {})[0]
      if (!name || !(ACTIONS as readonly string[]).includes(name)) throw new InvalidRequest(`There is no such action: ${name ?? ''}`)
      const id = req.params.id
      const auth = req.auth
      // The bodiless answers; the response schema names os-initialize_connection's body.
      const empty = (status: 200 | 202) => (reply as FastifyReply).status(status).send()
      switch (name as (typeof ACTIONS)[number]) {
        case 'os-extend': {
          const raw = body['os-extend']!.new_size
          const size = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw
          if (typeof size !== 'number') throw new InvalidRequest(`Invalid input for field/attribute new_size. Value: ${String(raw)}. '${String(raw)}' is not of type 'integer'`)
          await volumes.actions.extend(auth, id, size)
          break
        }
        case 'os-set_bootable':
          await volumes.actions.setBootable(auth, id, strictBool(body['os-set_bootable']!.bootable, 'bootable')!)
          // Cinder answers os-set_bootable with 200 and no body.
          return empty(200)
        case 'os-reset_status': {
          const args = body['os-reset_status']!
          await volumes.actions.resetStatus(auth, id, { status: args.status, attachStatus: args.attach_status })
          break
        }
        case 'os-force_delete':
          await volumes.actions.forceDelete(auth, id)
          break
        case 'os-reserve':
          await volumes.legacy.reserve(auth, id)
          break
        case 'os-unreserve':
          await volumes.legacy.unreserve(auth, id)
          break
        case 'os-begin_detaching':
          await volumes.legacy.beginDetaching(auth, id)
          break
        case 'os-roll_detaching':
          await volumes.legacy.rollDetaching(auth, id)
          break
        case 'os-attach': {
          const args = body['os-attach']!
          if (!args.instance_uuid && !args.host_name) throw new InvalidRequest('Invalid request to attach volume to an invalid target')
          await volumes.legacy.attach(auth, id, { instanceUuid: args.instance_uuid ?? null, hostName: args.host_name ?? null, mountpoint: args.mountpoint, mode: args.mode ?? 'rw' })
          break
        }
        case 'os-detach':
          await volumes.legacy.detach(auth, id, body['os-detach']?.attachment_id ?? null)
          break
        case 'os-initialize_connection':
          return { connection_info: await volumes.legacy.initializeConnection(auth, id) }
        case 'os-terminate_connection':
          await volumes.legacy.terminateConnection(auth, id)
          break
      }
      return empty(202)
    })
  }
}
