import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { novaEnvelope } from '../common/envelopes.js'
import { installMicroversions } from '../common/microversion.js'
import { installTokenCheck } from '../common/auth.js'
import { COMPUTE_MICROVERSIONS } from './compute-microversions.js'
import { availabilityZonesRoutes } from './availability-zones-routes.js'
import { flavorsRoutes } from './flavors-routes.js'
import { hypervisorsRoutes } from './hypervisors-routes.js'
import { imagesRoutes } from './images-routes.js'
import { keypairsRoutes } from './keypairs-routes.js'
import { limitsRoutes } from './limits-routes.js'
import { quotaSetsRoutes } from './quota-sets-routes.js'
import { servicesRoutes } from './os-services-routes.js'
import { securityGroupsRoutes } from './security-groups-routes.js'
import { serverRoutes } from './server-routes.js'
import { serverActionRoutes } from './server-actions-routes.js'
import { serverSubresourceRoutes } from './server-subresource-routes.js'
import { serverGroupsRoutes } from './server-groups-routes.js'
import { VersionListResponse, VersionResponse } from './schemas/project-responses.js'
import { serverNetworkRoutes } from './server-network-routes.js'
import { floatingIpsRoutes } from './floating-ips-routes.js'
import { remoteConsolesRoutes } from './remote-consoles-routes.js'
import { aggregatesRoutes } from './aggregates-routes.js'
import { serverMigrationAbortRoutes } from './server-live-migration.js'

function versionDocument(base: string, id: 'v2.0' | 'v2.1') {
  const current = id === 'v2.1'
  return {
    id,
    status: current ? 'CURRENT' : 'SUPPORTED',
    version: current ? COMPUTE_MICROVERSIONS.max : '',
    min_version: current ? COMPUTE_MICROVERSIONS.min : '',
    updated: current ? '2013-07-23T11:33:21Z' : '2011-01-21T11:33:21Z',
    links: [{ rel: 'self', href: `${base}/${id === 'v2.1' ? 'v2.1' : 'v2'}/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  }
}

/** `/compute`: the Nova v2.1 API, with Nova's error envelope and microversions. */
export function computePlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    installErrorHandling(app, novaEnvelope)
    installMicroversions(app, COMPUTE_MICROVERSIONS)
    installTokenCheck(app, ctx.services.tokens)
    const base = () => `${ctx.publicUrl()}/compute`
    app.get('/', { config: { public: true }, schema: { response: VersionListResponse } }, async () => ({ versions: [versionDocument(base(), 'v2.0'), versionDocument(base(), 'v2.1')] }))
    app.get('/v2.1', { config: { public: true }, schema: { response: VersionResponse } }, async () => ({ version: versionDocument(base(), 'v2.1') }))
    await app.register(async (v21) => {
      await v21.register(flavorsRoutes(ctx))
      await v21.register(keypairsRoutes(ctx))
      await v21.register(limitsRoutes(ctx))
      await v21.register(quotaSetsRoutes(ctx))
      await v21.register(availabilityZonesRoutes(ctx))
      await v21.register(servicesRoutes(ctx))
      await v21.register(hypervisorsRoutes(ctx))
      await v21.register(securityGroupsRoutes(ctx))
      await v21.register(serverGroupsRoutes(ctx))
      await v21.register(imagesRoutes(ctx))
      await v21.register(serverRoutes(ctx))
      await v21.register(serverActionRoutes(ctx))
      await v21.register(serverSubresourceRoutes(ctx))
      await v21.register(serverNetworkRoutes(ctx))
      await v21.register(floatingIpsRoutes(ctx))
      await v21.register(remoteConsolesRoutes(ctx))
      await v21.register(aggregatesRoutes(ctx))
      await v21.register(serverMigrationAbortRoutes(ctx))
    }, { prefix: '/v2.1' })
  }
}
