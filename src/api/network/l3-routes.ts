import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import type { FloatingIpInput, InterfaceInfo, RouterInput } from '../../services/network/l3-service.js'
import { collectionRoutes } from './collection-routes.js'
import { registerNetworkExtension } from './extensions.js'
import { IdParams } from './schemas.js'
import {
  FloatingIpCreateBody, FloatingIpListResponse, FloatingIpResponse, FloatingIpUpdateBody, RouterCreateBody, RouterInterfaceBody,
  RouterInterfaceResponse, RouterListResponse, RouterResponse, RouterUpdateBody,
} from './l3-schemas.js'

/** `/v2.0/routers` (with `add_router_interface`/`remove_router_interface`) and `/v2.0/floatingips`. */
export function l3Routes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const l3 = () => ctx.services.l3
  registerNetworkExtension('router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.')
  registerNetworkExtension('ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway')
  registerNetworkExtension('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router')
  registerNetworkExtension('fip-port-details', 'Floating IP Port Details Extension', 'Add port_details attribute to Floating IP resource')
  const collections = collectionRoutes(ctx, [
    {
      path: 'routers', tags: 'routers', plural: 'routers', singular: 'router', readOnly: ['id', 'tenant_id', 'project_id'],
      list: (a, q) => l3().listRouters(a, q), show: (a, id, f) => l3().showRouter(a, id, f), create: (a, i) => l3().createRouter(a, i as RouterInput),
      update: (a, id, i) => l3().updateRouter(a, id, i as RouterInput), remove: (a, id) => l3().deleteRouter(a, id),
      schemas: { create: RouterCreateBody, update: RouterUpdateBody, one: RouterResponse, many: RouterListResponse },
    },
    {
      path: 'floatingips', tags: 'floatingips', plural: 'floatingips', singular: 'floatingip', readOnly: ['id', 'tenant_id', 'project_id', 'floating_network_id', 'floating_ip_address'],
      list: (a, q) => l3().listFloatingIps(a, q), show: (a, id, f) => l3().showFloatingIp(a, id, f), create: (a, i) => l3().createFloatingIp(a, i as FloatingIpInput),
      update: (a, id, i) => l3().updateFloatingIp(a, id, i as FloatingIpInput), remove: (a, id) => l3().deleteFloatingIp(a, id),
      schemas: { create: FloatingIpCreateBody, update: FloatingIpUpdateBody, one: FloatingIpResponse, many: FloatingIpListResponse },
    },
  ])
  return async (app) => {
    await app.register(collections)
    const opts = { schema: { params: IdParams, body: RouterInterfaceBody, response: RouterInterfaceResponse } }
    app.put('/routers/:id/add_router_interface', opts, async (req) => l3().addRouterInterface(req.auth, req.params.id, req.body as InterfaceInfo))
    app.put('/routers/:id/remove_router_interface', opts, async (req) => l3().removeRouterInterface(req.auth, req.params.id, req.body as InterfaceInfo))
  }
}
