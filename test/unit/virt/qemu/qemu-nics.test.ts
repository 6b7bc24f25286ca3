import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planDomainLayout } from '../../../../src/virt/disk-layout.js'
import type { DomainRecord, PluggedNic } from '../../../../src/virt/qemu/domain-store.js'
import { buildQemuArgs } from '../../../../src/virt/qemu/qemu-command-line.js'
import { freeHotplugPort, hotplugNicSlot, nextNicIndex, nicDeviceId } from '../../../../src/virt/qemu/qemu-nics.js'
import { nicArgs, nicHotplugPortArgs, netdevOption, userNetdev } from '../../../../src/virt/qemu/qemu-network.js'
import { DriverError, type DiskSpec, type NicSpec } from '../../../../src/virt/virt-driver.js'

const nic: NicSpec = {
  portId: 'p-1', networkId: 'n-1', mac: 'fa:16:3e:00:00:01', ip: '10.0.0.7', cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500,
  forwards: [{ protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 2222, guestPort: 22 }],
}
const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/i', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }

function plugged(netdev: string, extra: Partial<PluggedNic> = {}): PluggedNic {
  return { netdev, portId: `port-${netdev}`, ip: '10.0.0.9', forwards: [], ...extra }
}

function record(overrides: Partial<DomainRecord>): DomainRecord {
  return {
    instanceId: 'i-1', spec: { instanceId: 'i-1', name: 's', vcpus: 1, memoryMb: 256, disks: [root], configDrive: null, imageProperties: {}, nics: [] },
    layout: planDomainLayout([root], 'pc', () => '/f'), formats: { root: 'qcow2' }, argv: [], controllers: {}, rescued: false, rescue: null, suspended: false,
    ...overrides,
  }
}

describe('NIC hot-plug plans', () => {
  test('a plugged NIC gets the very netdev options a boot gives it (forwards aside: they follow over QMP)', () => {
    const props = userNetdev(nic, 'net0', { hostname: 'server-1', egress: 'isolated' })
    assert.deepEqual(props, {
      type: 'user', id: 'net0', ipv6: false, net: '10.0.0.0/24', host: '10.0.0.1', dhcpstart: '10.0.0.7', dns: '10.0.0.254',
      hostname: 'server-1', domainname: 'openstacklocal', restrict: true,
    })
    const boot = nicArgs([nic], { hostname: 'server-1', egress: 'isolated', withForwards: false })
    assert.equal(netdevOption(props), boot[1])
    assert.equal(netdevOption(userNetdev(nic, 'net0', { hostname: 'a,b', egress: 'open' })).endsWith('hostname=a,,b,domainname=openstacklocal,restrict=off'), true)
  })

  test('on pc a plugged NIC takes the highest free slot of pci.0, below 0x20 and above the disks and controllers', () => {
    assert.equal(hotplugNicSlot(record({})), 0x1f)
    assert.equal(hotplugNicSlot(record({ nics: [plugged('net0'), plugged('net1', { slot: 0x1f })] })), 0x1e)
    const full = record({ nics: Array.from({ length: 27 }, (_, i) => plugged(`net${i + 1}`, { slot: 0x1f - i })) })
    assert.throws(() => hotplugNicSlot(full), (e: unknown) => e instanceof DriverError && e.code === 'LB_NO_FREE_ADDRESS')
  })

  test('netdev and device ids: the next free index; a boot NIC\'s device is nic<N> of net<N>', () => {
    assert.equal(nextNicIndex({}), 0)
    assert.equal(nextNicIndex({ nics: [plugged('net0'), plugged('net3')] }), 4)
    assert.equal(nicDeviceId(plugged('net2')), 'nic2')
    assert.equal(nicDeviceId(plugged('net5', { device: 'nic5' })), 'nic5')
  })

  test('q35 guests start with spare root ports (slot 0x1e), pc guests with none; a plugged NIC takes the first free one', () => {
    assert.deepEqual(nicHotplugPortArgs('pc'), [])
    const ports = nicHotplugPortArgs('q35').filter((_, i) => i % 2 === 1)
    assert.deepEqual(ports, [
      'pcie-root-port,id=lbhp0,bus=pcie.0,chassis=1,port=0x10,addr=0x1e.0x0,multifunction=on',
      'pcie-root-port,id=lbhp1,bus=pcie.0,chassis=2,port=0x11,addr=0x1e.0x1',
      'pcie-root-port,id=lbhp2,bus=pcie.0,chassis=3,port=0x12,addr=0x1e.0x2',
      'pcie-root-port,id=lbhp3,bus=pcie.0,chassis=4,port=0x13,addr=0x1e.0x3',
    ])
    const argv = buildQemuArgs({
      name: 's', instanceId: 'i-1', machineType: 'q35', acceleration: 'tcg', vcpus: 1, memoryMb: 256, pidFile: '/p', qmpSocket: '/q', consoleLog: '/c',
      layout: planDomainLayout([root], 'q35', () => '/f'), formats: { root: 'qcow2' },
    })
    assert.equal(freeHotplugPort({ argv, nics: [] }), 'lbhp0')
    assert.equal(freeHotplugPort({ argv, nics: [plugged('net0'), plugged('net1', { port: 'lbhp0' })] }), 'lbhp1')
    const taken = ['lbhp0', 'lbhp1', 'lbhp2', 'lbhp3'].map((port, i) => plugged(`net${i}`, { port }))
    assert.throws(() => freeHotplugPort({ argv, nics: taken }), (e: unknown) => e instanceof DriverError && e.code === 'LB_NO_FREE_ADDRESS')
    // A guest started by a version without spare ports has none to offer.
    assert.throws(() => freeHotplugPort({ argv: [], nics: [] }), (e: unknown) => e instanceof DriverError && e.code === 'LB_NO_FREE_ADDRESS')
  })
})
