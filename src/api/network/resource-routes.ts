import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ApiContext } from '../context.js'
import { collectionRoutes } from './collection-routes.js'
import {
  NetworkCreateBody, NetworkUpdateBody, PortCreateBody, PortUpdateBody, SubnetCreateBody, SubnetUpdateBody,
} from './schemas.js'
import {
  NetworkListResponse, NetworkResponse, PortListResponse, PortResponse, SubnetListResponse, SubnetResponse,
} from './response-schemas.js'

/** List, show, create (one or bulk), update and delete of networks, subnets and ports under `/v2.0`. */
export function resourceRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const net = () => ctx.services.network
  return collectionRoutes(ctx, [
    {
      path: 'networks', tags: 'networks', plural: 'networks', singular: 'network', readOnly: ['id', 'tenant_id', 'project_id'],
      list: (a, q) => net().listNetworks(a, q), show: (a, id, f) => net().showNetwork(a, id, f), create: (a, i) => net().createNetwork(a, i),
      update: (a, id, i) => net().updateNetwork(a, id, i), remove: (a, id) => net().deleteNetwork(a, id),
      schemas: { create: NetworkCreateBody, update: NetworkUpdateBody, one: NetworkResponse, many: NetworkListResponse },
    },
    {
      path: 'subnets', tags: 'subnets', plural: 'subnets', singular: 'subnet', readOnly: ['id', 'tenant_id', 'project_id', 'network_id', 'cidr', 'ip_version'],
      list: (a, q) => net().listSubnets(a, q), show: (a, id, f) => net().showSubnet(a, id, f), create: (a, i) => net().createSubnet(a, i),
      update: (a, id, i) => net().updateSubnet(a, id, i), remove: (a, id) => net().deleteSubnet(a, id),
      schemas: { create: SubnetCreateBody, update: SubnetUpdateBody, one: SubnetResponse, many: SubnetListResponse },
    },
    {
      path: 'ports', tags: 'ports', plural: 'ports', singular: 'port', readOnly: ['id', 'tenant_id', 'project_id', 'network_id'],
      list: (a, q) => net().listPorts(a, q), show: (a, id, f) => net().showPort(a, id, f), create: (a, i) => net().createPort(a, i),
      update: (a, id, i) => net().updatePort(a, id, i), remove: (a, id) => net().deletePort(a, id),
      schemas: { create: PortCreateBody, update: PortUpdateBody, one: PortResponse, many: PortListResponse },
    },
  ])
}
