import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { configDriveFor } from '../../../src/services/compute/instance-spec.js'
import { networkDataFor } from '../../../src/services/compute/network-metadata.js'
import type { InstanceDetails } from '../../../src/services/compute/instance-store.js'
import type { NicSpec } from '../../../src/virt/virt-driver.js'

const nics: NicSpec[] = [
  { portId: '5f0c8a52-1111-4c1e-9a0e-000000000001', networkId: 'net-a', mac: 'fa:16:3e:11:22:33', ip: '10.0.0.7', cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1450, forwards: [] },
  { portId: '7a2d0e11-2222-4c1e-9a0e-000000000002', networkId: 'net-b', mac: 'fa:16:3e:44:55:66', ip: '10.1.0.9', cidr: '10.1.0.0/24', gateway: null, dnsAddress: '10.0.0.254', mtu: 1500, forwards: [] },
]

function details(overrides: Partial<InstanceDetails['row']> = {}): InstanceDetails {
  const row = {
    uuid: '0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10', display_name: 'Web 1', hostname: 'web-1', launch_index: 0, availability_zone: null,
    project_id: 'p1', user_data: Buffer.from('#cloud-config\n').toString('base64'), ...overrides,
  }
  return { row, flavor: {}, metadata: { role: 'web' }, tags: [], bdms: [], fault: null, securityGroups: [], rescue: null } as unknown as InstanceDetails
}

describe('network_data.json', () => {
  test('is Nova\'s get_network_metadata shape: a tap link per NIC with MAC, MTU and port, a DHCP network per NIC, the DNS servers once', () => {
    assert.deepEqual(networkDataFor(nics), {
      links: [
        { id: 'tap5f0c8a52-11', vif_id: nics[0]!.portId, type: 'tap', mtu: 1450, ethernet_mac_address: 'fa:16:3e:11:22:33' },
        { id: 'tap7a2d0e11-22', vif_id: nics[1]!.portId, type: 'tap', mtu: 1500, ethernet_mac_address: 'fa:16:3e:44:55:66' },
      ],
      networks: [
        { id: 'network0', type: 'ipv4_dhcp', link: 'tap5f0c8a52-11', network_id: 'net-a' },
        { id: 'network1', type: 'ipv4_dhcp', link: 'tap7a2d0e11-22', network_id: 'net-b' },
      ],
      services: [{ type: 'dns', address: '10.0.0.254' }],
    })
  })

  test('a server without NICs gets empty lists', () => {
    assert.deepEqual(networkDataFor([]), { links: [], networks: [], services: [] })
  })
})

describe('configDriveFor', () => {
  test('meta_data.json has what cloud-init reads, as Nova writes it: keys, hostname with the DHCP domain, and the rest', () => {
    const drive = configDriveFor(details(), [{ name: 'k1', publicKey: 'ssh-ed25519 AAAA k1' }], nics)
    assert.deepEqual(drive.metaData, {
      uuid: '0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10', name: 'Web 1', hostname: 'web-1.novalocal', launch_index: 0, availability_zone: 'nova',
      project_id: 'p1', meta: { role: 'web' }, public_keys: { k1: 'ssh-ed25519 AAAA k1' }, keys: [{ name: 'k1', type: 'ssh', data: 'ssh-ed25519 AAAA k1' }], devices: [],
    })
    assert.equal(drive.userData, '#cloud-config\n')
    assert.deepEqual(drive.networkData, networkDataFor(nics))
  })

  test('a rescue drive carries the rescue key and, when one was set, the rescue password as admin_pass', () => {
    const drive = configDriveFor(details({ user_data: null }), [{ name: 'rescue-key', publicKey: 'ssh-ed25519 BBBB r' }], nics, 'Rescue-Pass-1')
    assert.deepEqual(drive.metaData.public_keys, { 'rescue-key': 'ssh-ed25519 BBBB r' })
    assert.equal(drive.metaData.admin_pass, 'Rescue-Pass-1')
    assert.equal(drive.userData, null)
    assert.equal('admin_pass' in configDriveFor(details(), [], nics).metaData, false)
  })
})
