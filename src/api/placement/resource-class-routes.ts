import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { Conflict, InvalidRequest, NotFound } from '../../services/errors.js'
import { ResourceClassBody } from './schemas.js'
import { atLeast, methodNotAllowed, parseBody, requireVersion } from './request-helpers.js'
import { MOUNT, resourceClassView } from './views.js'
import { ResourceClassListResponse, ResourceClassResponse } from './response-schemas.js'

const NameParams = Type.Object({ name: Type.String() })
const CUSTOM = /^CUSTOM_[A-Z0-9_]+$/

/** Resource classes (handlers/resource_class.py), all 1.2+. */
export function resourceClassRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    app.get('/resource_classes', { schema: { response: ResourceClassListResponse } }, async (req) => {
      requireVersion(req, '1.2')
      authorize(req.auth, 'placement:resource_classes:list', 'admin')
      return { resource_classes: (await placement.listResourceClasses()).map(resourceClassView) }
    })
    app.post('/resource_classes', async (req, reply) => {
      requireVersion(req, '1.2')
      authorize(req.auth, 'placement:resource_classes:create', 'admin')
      const body = parseBody(req, ResourceClassBody)
      if (!(await placement.ensureResourceClass(body.name))) throw new Conflict(`Conflicting resource class already exists: ${body.name}`)
      return reply.status(201).header('location', `${ctx.publicUrl()}${MOUNT}/resource_classes/${encodeURIComponent(body.name)}`).send()
    })
    methodNotAllowed(app, '/resource_classes', ['GET', 'POST'])

    app.get('/resource_classes/:name', { schema: { params: NameParams, response: ResourceClassResponse } }, async (req) => {
      requireVersion(req, '1.2')
      authorize(req.auth, 'placement:resource_classes:show', 'admin')
      if (!(await placement.resourceClassExists(req.params.name))) throw new NotFound(`No such resource class ${req.params.name}.`)
      return resourceClassView(req.params.name)
    })
    app.put('/resource_classes/:name', { schema: { params: NameParams, response: ResourceClassResponse } }, async (req, reply) => {
      requireVersion(req, '1.2')
      authorize(req.auth, 'placement:resource_classes:update', 'admin')
      const name = req.params.name
      if (!atLeast(req, '1.7')) {
        // 1.2–1.6: a rename, with a body.
        const body = parseBody(req, ResourceClassBody)
        await placement.renameResourceClass(name, body.name)
        return resourceClassView(body.name)
      }
      if (!CUSTOM.test(name) || name.length > 255) {
        throw new InvalidRequest(`JSON does not validate: '${name}' does not match '^CUSTOM_[A-Z0-9_]+$'`)
      }
      const created = await placement.ensureResourceClass(name)
      // From 1.7 no body (the response schema is the 1.2–1.6 rename's).
      return (reply as FastifyReply).status(created ? 201 : 204).header('location', `${ctx.publicUrl()}${MOUNT}/resource_classes/${encodeURIComponent(name)}`).send()
    })
    app.delete('/resource_classes/:name', { schema: { params: NameParams } }, async (req, reply) => {
      requireVersion(req, '1.2')
      authorize(req.auth, 'placement:resource_classes:delete', 'admin')
      await placement.deleteResourceClass(req.params.name)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/resource_classes/:name', ['GET', 'PUT', 'DELETE'])
  }
}
