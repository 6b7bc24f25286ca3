import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import type { ServerInterface } from '../../services/compute/server-interfaces.js'
import { callOf } from './server-route-helpers.js'
import { addressesView } from './views/server-view.js'
import { isAtLeast } from '../common/microversion.js'
import { LifeboatError, NotFound } from '../../services/errors.js'
import { ALL } from '../../services/network/resource-query.js'
import {
  InterfaceListResponse, InterfaceResponse, ProxyNetworkListResponse, ProxyNetworkResponse, ServerIpsLabelResponse, ServerIpsResponse,
} from './schemas/network-responses.js'

const IdParams = Type.Object({ id: Type.String() })
const LabelParams = Type.Object({ id: Type.String(), label: Type.String() })
const PortParams = Type.Object({ id: Type.String(), portId: Type.String() })
const NetworkParams = Type.Object({ networkId: Type.String() })
const Uuid = Type.String({ format: 'uuid' })
const AttachBody = Type.Object({
  interfaceAttachment: Type.Object({
    net_id: Type.Optional(Uuid),
    port_id: Type.Optional(Uuid),
    fixed_ips: Type.Optional(Type.Array(Type.Object({ ip_address: Type.String({ format: 'ipv4' }) }, { additionalProperties: false }), { minItems: 1, maxItems: 1 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]*$' })),
  }, { additionalProperties: false }),
}, { additionalProperties: false })

/** The proxy APIs end at 2.35 (MAX_PROXY_API_SUPPORT_VERSION); later versions are a plain 404, as Nova. */
function assertProxyVersion(req: FastifyRequest): void {
  if (isAtLeast(req.microversion, '2.36')) throw new NotFound('The resource could not be found.')
}

/** Nova's `interfaceAttachment` view (attach_interfaces.py `_translate_interface_attachment_view`). */
function interfaceView(port: ServerInterface, withTag: boolean) {
  return {
    net_id: port.networkId, port_id: port.portId, mac_addr: port.mac, port_state: port.status, fixed_ips: port.fixedIps,
    ...(withTag ? { tag: null } : {}),
  }
}

/** `os-tenant-networks` (tenant_networks.py `network_dict`): `cidr` is the string "None", as Nova with Neutron. */
function tenantNetworkView(network: Record<string, unknown>) {
  return { id: network.id, cidr: 'None', label: network.name }
}

const OS_NETWORK_ADMIN_KEYS = [
  'created_at', 'updated_at', 'deleted_at', 'deleted', 'injected', 'bridge', 'vlan', 'vpn_public_address', 'vpn_public_port',
  'vpn_private_address', 'dhcp_start', 'project_id', 'host', 'bridge_interface', 'multi_host', 'priority', 'rxtx_base', 'mtu',
  'dhcp_server', 'enable_dhcp', 'share_address',
]

/** `os-networks` (networks.py `network_dict`): Neutron networks with every nova-network attribute null. */
function osNetworkView(network: Record<string, unknown>, isAdmin: boolean) {
  const view: Record<string, unknown> = {
    id: network.id, label: network.name, cidr: null, netmask: null, gateway: null, broadcast: null, dns1: null, dns2: null,
    cidr_v6: null, gateway_v6: null, netmask_v6: null,
  }
  if (isAdmin) for (const key of OS_NETWORK_ADMIN_KEYS) view[key] = null
  return view
}

/** A server's network face: `ips`, `os-interface`, and the ≤ 2.35 proxies `os-tenant-networks` and `os-networks`. */
export function serverNetworkRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const compute = () => ctx.services.compute
  const network = () => ctx.services.network
  return async (app) => {
    app.get('/servers/:id/ips', { schema: { params: IdParams, response: ServerIpsResponse } }, async (req) => {
      const details = await compute().showServer(callOf(req), req.params.id)
      return { addresses: addressesView(details, false) }
    })
    app.get('/servers/:id/ips/:label', { schema: { params: LabelParams, response: ServerIpsLabelResponse } }, async (req) => {
      const details = await compute().showServer(callOf(req), req.params.id)
      const addresses = addressesView(details, false)
      if (!(req.params.label in addresses)) throw new NotFound('Instance is not a member of specified network')
      return { [req.params.label]: addresses[req.params.label] }
    })

    app.get('/servers/:id/os-interface', { schema: { params: IdParams, response: InterfaceListResponse } }, async (req) => {
      const ports = await compute().listInterfaces(callOf(req), req.params.id)
      return { interfaceAttachments: ports.map((p) => interfaceView(p, isAtLeast(req.microversion, '2.70'))) }
    })
    app.get('/servers/:id/os-interface/:portId', { schema: { params: PortParams, response: InterfaceResponse } }, async (req) => {
      const port = await compute().showInterface(callOf(req), req.params.id, req.params.portId)
      return { interfaceAttachment: interfaceView(port, isAtLeast(req.microversion, '2.70')) }
    })
    app.post('/servers/:id/os-interface', { schema: { params: IdParams, body: AttachBody, response: InterfaceResponse } }, async (req) => {
      const body = req.body.interfaceAttachment
      const port = await compute().attachInterface(callOf(req), req.params.id, { netId: body.net_id, portId: body.port_id, fixedIps: body.fixed_ips })
      return { interfaceAttachment: interfaceView(port, isAtLeast(req.microversion, '2.70')) }
    })
    app.delete('/servers/:id/os-interface/:portId', { schema: { params: PortParams } }, async (req, reply) => {
      await compute().detachInterface(callOf(req), req.params.id, req.params.portId)
      reply.status(202).send()
    })

    for (const path of ['/os-tenant-networks', '/os-networks'] as const) {
      const view = (n: Record<string, unknown>, isAdmin: boolean) => (path === '/os-networks' ? osNetworkView(n, isAdmin) : tenantNetworkView(n))
      app.get(path, { schema: { response: ProxyNetworkListResponse } }, async (req) => {
        assertProxyVersion(req)
        const page = await network().listNetworks(req.auth, ALL)
        return { networks: page.items.map((n) => view(n, req.auth.isAdmin)) }
      })
      app.get(`${path}/:networkId`, { schema: { params: NetworkParams, response: ProxyNetworkResponse } }, async (req) => {
        assertProxyVersion(req)
        const found = await network().showNetwork(req.auth, req.params.networkId).catch((error: unknown) => {
          throw error instanceof LifeboatError && error.status === 404 ? new NotFound('Network not found') : error
        })
        return { network: view(found, req.auth.isAdmin) }
      })
    }
  }
}
