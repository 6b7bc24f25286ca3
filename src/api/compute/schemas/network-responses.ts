import { Type } from '@sinclair/typebox'
import { Any, Closed, Opt } from './response-parts.js'

/** One address of `GET /servers/{id}/ips` (version and address only). */
const IpAddress = Closed({ version: Opt(Any), addr: Opt(Any) })
/** `GET /servers/{id}/ips`. */
export const ServerIpsResponse = { 200: Closed({ addresses: Type.Record(Type.String(), Type.Array(IpAddress)) }) }
/** `GET /servers/{id}/ips/{label}`: `{<label>: [...]}`. */
export const ServerIpsLabelResponse = { 200: Type.Record(Type.String(), Type.Array(IpAddress)) }

const InterfaceAttachment = Closed({ net_id: Any, port_id: Any, mac_addr: Any, port_state: Any, fixed_ips: Any, tag: Opt(Any) })
/** `GET /servers/{id}/os-interface`. */
export const InterfaceListResponse = { 200: Closed({ interfaceAttachments: Type.Array(InterfaceAttachment) }) }
/** `GET/POST /servers/{id}/os-interface[/{port_id}]`. */
export const InterfaceResponse = { 200: Closed({ interfaceAttachment: InterfaceAttachment }) }

/** `os-tenant-networks` and `os-networks` (every nova-network key `os-networks` may show, for admins too). */
const ProxyNetwork = Closed(Object.fromEntries([
  'id', 'label', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'netmask_v6', 'created_at', 'updated_at',
  'deleted_at', 'deleted', 'injected', 'bridge', 'vlan', 'vpn_public_address', 'vpn_public_port', 'vpn_private_address', 'dhcp_start',
  'project_id', 'host', 'bridge_interface', 'multi_host', 'priority', 'rxtx_base', 'mtu', 'dhcp_server', 'enable_dhcp', 'share_address',
].map((key) => [key, Opt(Any)])))
export const ProxyNetworkListResponse = { 200: Closed({ networks: Type.Array(ProxyNetwork) }) }
export const ProxyNetworkResponse = { 200: Closed({ network: ProxyNetwork }) }
