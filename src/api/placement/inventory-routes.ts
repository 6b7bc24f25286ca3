import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { authorize } from '../../services/policy.js'
import { NotFound } from '../../services/errors.js'
import { ConcurrentUpdate } from '../../services/placement/placement-errors.js'
import { withInventoryDefaults, type InventoryFields } from '../../services/placement/db-types.js'
import { InventoriesPut, InventoryCreate, InventoryUpdate } from './schemas.js'
import { atLeast, methodNotAllowed, parseBody, requireVersion } from './request-helpers.js'
import { MOUNT } from './views.js'
import { InventoriesResponse, InventoryResponse } from './response-schemas.js'

const UuidParams = Type.Object({ uuid: Type.String() })
const ClassParams = Type.Object({ uuid: Type.String(), rc: Type.String() })

function pickFields(body: Partial<InventoryFields> & { total: number }): InventoryFields {
  const { total, reserved, min_unit, max_unit, step_size, allocation_ratio } = body
  return withInventoryDefaults(Object.fromEntries(Object.entries({ total, reserved, min_unit, max_unit, step_size, allocation_ratio })
    .filter(([, v]) => v !== undefined)) as Partial<InventoryFields> & { total: number })
}

/** Inventories of a provider (handlers/inventory.py). */
export function inventoryRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const placement = ctx.services.placement
  return async (app) => {
    const notFoundProvider = async (uuid: string) => {
      try {
        return await placement.getProvider(uuid)
      } catch (error) {
        if (error instanceof NotFound) throw new NotFound(`No resource provider with uuid ${uuid} found : ${error.message}`, error.code)
        throw error
      }
    }
    app.get('/resource_providers/:uuid/inventories', { schema: { params: UuidParams, response: InventoriesResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:inventories:list', 'admin')
      await notFoundProvider(req.params.uuid)
      const { generation, inventories } = await placement.getInventories(req.params.uuid)
      return { resource_provider_generation: generation, inventories }
    })
    app.put('/resource_providers/:uuid/inventories', { schema: { params: UuidParams, response: InventoriesResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:inventories:update', 'admin')
      const provider = await placement.getProvider(req.params.uuid)
      const body = parseBody(req, InventoriesPut)
      if (body.resource_provider_generation !== provider.generation) throw new ConcurrentUpdate('resource provider generation conflict')
      const wanted = Object.fromEntries(Object.entries(body.inventories).map(([rc, inv]) => [rc, pickFields(inv)]))
      const result = await placement.putInventories(req.params.uuid, wanted, body.resource_provider_generation, atLeast(req, '1.26'))
      return { resource_provider_generation: result.generation, inventories: result.inventories }
    })
    app.post('/resource_providers/:uuid/inventories', { schema: { params: UuidParams, response: InventoryResponse } }, async (req, reply) => {
      authorize(req.auth, 'placement:resource_providers:inventories:create', 'admin')
      await placement.getProvider(req.params.uuid)
      const body = parseBody(req, InventoryCreate)
      const inv = pickFields(body)
      const generation = await placement.createInventory(req.params.uuid, body.resource_class, inv, atLeast(req, '1.26'))
      reply.status(201).header('location', `${ctx.publicUrl()}${MOUNT}/resource_providers/${req.params.uuid}/inventories/${body.resource_class}`)
      return { ...inv, resource_provider_generation: generation }
    })
    app.delete('/resource_providers/:uuid/inventories', { schema: { params: UuidParams } }, async (req, reply) => {
      requireVersion(req, '1.5', 405)
      authorize(req.auth, 'placement:resource_providers:inventories:delete', 'admin')
      await placement.deleteInventories(req.params.uuid)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/resource_providers/:uuid/inventories', ['GET', 'POST', 'PUT', 'DELETE'])

    app.get('/resource_providers/:uuid/inventories/:rc', { schema: { params: ClassParams, response: InventoryResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:inventories:show', 'admin')
      await notFoundProvider(req.params.uuid)
      const { generation, inventories } = await placement.getInventories(req.params.uuid)
      const inv = Object.hasOwn(inventories, req.params.rc) ? inventories[req.params.rc] : undefined
      if (!inv) throw new NotFound(`No inventory of class ${req.params.rc} for ${req.params.uuid}`)
      return { ...inv, resource_provider_generation: generation }
    })
    app.put('/resource_providers/:uuid/inventories/:rc', { schema: { params: ClassParams, response: InventoryResponse } }, async (req) => {
      authorize(req.auth, 'placement:resource_providers:inventories:update', 'admin')
      const provider = await placement.getProvider(req.params.uuid)
      const body = parseBody(req, InventoryUpdate)
      if (body.resource_provider_generation !== provider.generation) throw new ConcurrentUpdate('resource provider generation conflict')
      const inv = pickFields(body)
      const generation = await placement.updateInventory(req.params.uuid, req.params.rc, inv, body.resource_provider_generation, atLeast(req, '1.26'))
      return { ...inv, resource_provider_generation: generation }
    })
    app.delete('/resource_providers/:uuid/inventories/:rc', { schema: { params: ClassParams } }, async (req, reply) => {
      authorize(req.auth, 'placement:resource_providers:inventories:delete', 'admin')
      await placement.deleteInventory(req.params.uuid, req.params.rc)
      return reply.status(204).send()
    })
    methodNotAllowed(app, '/resource_providers/:uuid/inventories/:rc', ['GET', 'PUT', 'DELETE'])
  }
}
