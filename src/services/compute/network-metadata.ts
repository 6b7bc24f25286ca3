import type { NicSpec } from '../../virt/virt-driver.js'

/** A link of `network_data.json` (Nova's `_get_eth_link`). */
export interface NetworkDataLink {
  id: string
  vif_id: string
  type: string
  mtu: number
  ethernet_mac_address: string
}

/** A network of `network_data.json` (Nova's `_get_nets`, DHCP-enabled subnet). */
export interface NetworkDataNetwork {
  id: string
  type: 'ipv4_dhcp'
  link: string
  network_id: string
}

/** `openstack/latest/network_data.json`, as Nova's `get_network_metadata` writes it. */
export interface NetworkData {
  links: NetworkDataLink[]
  networks: NetworkDataNetwork[]
  services: Array<{ type: 'dns'; address: string }>
}

/**
 * `network_data.json` for a guest's NICs, in the shape of Nova's
 * `nova/virt/netutils.py` `get_network_metadata`: one link per NIC (named as
 * Nova names the VIF's device, `tap` + the port id's first 11 characters;
 * type `tap`, the port's binding), one network per NIC, and the DNS servers
 * as services. Every subnet is DHCP-served here (user-mode networking hands
 * the guest exactly its port's address, gateway and DNS), which is the case
 * Nova writes as `ipv4_dhcp` with no address of its own. Pure.
 */
export function networkDataFor(nics: NicSpec[]): NetworkData {
  const data: NetworkData = { links: [], networks: [], services: [] }
  nics.forEach((nic, index) => {
    const link = `tap${nic.portId.slice(0, 11)}`
    data.links.push({ id: link, vif_id: nic.portId, type: 'tap', mtu: nic.mtu, ethernet_mac_address: nic.mac })
    data.networks.push({ id: `network${index}`, type: 'ipv4_dhcp', link, network_id: nic.networkId })
    if (nic.dnsAddress && !data.services.some((s) => s.address === nic.dnsAddress)) data.services.push({ type: 'dns', address: nic.dnsAddress })
  })
  return data
}
