import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import { planDomainLayout } from '../../../../src/virt/disk-layout.js'
import { planRescueLayout } from '../../../../src/virt/rescue-layout.js'
import { buildQemuArgs, type QemuLaunch } from '../../../../src/virt/qemu/qemu-command-line.js'
import { assertHostPortsFree, pluggedNics } from '../../../../src/virt/qemu/qemu-forwards.js'
import { dhcpHostname, forwardChanges, hostfwdRule, nicArgs, slirpAddresses, smbiosArgs } from '../../../../src/virt/qemu/qemu-network.js'
import { DriverError, type DiskSpec, type DomainLayout, type NicSpec, type PortForward } from '../../../../src/virt/virt-driver.js'

const ssh: PortForward = { protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 2222, guestPort: 22 }
const web: PortForward = { protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 8080, guestPort: 80 }

function nic(overrides: Partial<NicSpec> = {}): NicSpec {
  return {
    portId: '5f0c8a52-1111-4c1e-9a0e-000000000001', networkId: 'net-private', mac: 'FA:16:3E:11:22:33', ip: '10.0.0.7', cidr: '10.0.0.0/24',
    gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [ssh], ...overrides,
  }
}

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/images/img', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const config: DiskSpec = { name: 'config', role: 'config-drive', source: { kind: 'config-drive' }, deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null }

function launch(layout: DomainLayout, nics: NicSpec[]): QemuLaunch {
  return {
    name: 'server-1', instanceId: '0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10', machineType: layout.machineType, acceleration: 'tcg', vcpus: 1, memoryMb: 256,
    pidFile: '/d/qemu.pid', qmpSocket: '/d/qmp.sock', consoleLog: '/d/console.log', layout, formats: { root: 'qcow2', config: 'raw', rescue: 'qcow2' },
    network: { nics, hostname: 'server-1', egress: 'isolated', withForwards: true },
  }
}

/** The values that follow `flag` in an argv. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, i) => (args[i - 1] === flag ? [arg] : []))
}

describe('nicArgs', () => {
  test('one user-mode netdev per NIC hands out exactly the port\'s address, gateway and DNS; the NIC has the port\'s MAC at PCI 03.0', () => {
    const args = nicArgs([nic()], { hostname: 'server-1', egress: 'isolated', withForwards: true })
    assert.deepEqual(args, [
      '-netdev', 'user,id=net0,ipv6=off,net=10.0.0.0/24,host=10.0.0.1,dhcpstart=10.0.0.7,dns=10.0.0.254,hostname=server-1,domainname=openstacklocal,restrict=on,hostfwd=tcp:127.42.0.5:2222-10.0.0.7:22',
      '-device', 'virtio-net-pci,netdev=net0,id=nic0,mac=fa:16:3e:11:22:33,addr=0x3.0x0',
    ])
  })

  test('several NICs are the functions of slot 3 in port order (function 0 multifunction); a NIC without gateway or DNS leaves them to slirp', () => {
    const second = nic({ portId: 'p2', mac: 'fa:16:3e:00:00:02', ip: '192.168.5.20', cidr: '192.168.5.0/24', gateway: null, dnsAddress: null, forwards: [] })
    const args = nicArgs([nic(), second], { hostname: 'h', egress: 'isolated', withForwards: true })
    assert.deepEqual(valuesOf(args, '-device'), [
      'virtio-net-pci,netdev=net0,id=nic0,mac=fa:16:3e:11:22:33,addr=0x3.0x0,multifunction=on',
      'virtio-net-pci,netdev=net1,id=nic1,mac=fa:16:3e:00:00:02,addr=0x3.0x1',
    ])
    assert.equal(valuesOf(args, '-netdev')[1], 'user,id=net1,ipv6=off,net=192.168.5.0/24,dhcpstart=192.168.5.20,hostname=h,domainname=openstacklocal,restrict=on')
  })

  test('a port at slirp\'s default host or DNS address (a subnet without gateway or DHCP: public-subnet) moves them to free addresses', () => {
    const bare = { cidr: '127.42.0.0/24', gateway: null, dnsAddress: null }
    assert.deepEqual(slirpAddresses({ ...bare, ip: '127.42.0.3' }), { dns: '127.42.0.4' })
    assert.deepEqual(slirpAddresses({ ...bare, ip: '127.42.0.2' }), { host: '127.42.0.3', dns: '127.42.0.4' })
    assert.deepEqual(slirpAddresses({ ...bare, ip: '127.42.0.9' }), {})
    assert.deepEqual(slirpAddresses({ cidr: '127.42.0.0/24', gateway: '127.42.0.1', dnsAddress: null, ip: '127.42.0.3' }), { host: '127.42.0.1', dns: '127.42.0.2' })
    const [, netdev] = nicArgs([nic({ ...bare, ip: '127.42.0.3', forwards: [] })], { hostname: 'h', egress: 'isolated', withForwards: true })
    assert.match(netdev!, /dhcpstart=127\.42\.0\.3,dns=127\.42\.0\.4,/)
  })

  test('open egress turns restrict off; without forwards (a resume\'s saved command line) no hostfwd is written', () => {
    const [, netdev] = nicArgs([nic({ forwards: [ssh, web] })], { hostname: 'h', egress: 'open', withForwards: false })
    assert.match(netdev!, /restrict=off/)
    assert.doesNotMatch(netdev!, /hostfwd/)
    const [, withForwards] = nicArgs([nic({ forwards: [ssh, web] })], { hostname: 'h', egress: 'open', withForwards: true })
    assert.match(withForwards!, /hostfwd=tcp:127\.42\.0\.5:2222-10\.0\.0\.7:22,hostfwd=tcp:127\.42\.0\.5:8080-10\.0\.0\.7:80$/)
  })

  test('values that would break the option string or are no addresses are refused', () => {
    for (const bad of [{ ip: '10.0.0.7,hostfwd=tcp::1-:22' }, { cidr: '10.0.0.0' }, { cidr: '10.0.0.0/31' }, { gateway: 'gw' }, { mac: 'fa:16:3e:11:22' },
      { forwards: [{ ...ssh, hostAddress: '0.0.0.0,restrict=off' }] }] as Array<Partial<NicSpec>>) {
      assert.throws(() => nicArgs([nic(bad)], { hostname: 'h', egress: 'isolated', withForwards: true }), (e: unknown) => e instanceof DriverError && e.code === 'LB_BAD_SPEC', JSON.stringify(bad))
    }
    assert.throws(() => nicArgs(Array.from({ length: 9 }, () => nic()), { hostname: 'h', egress: 'isolated', withForwards: true }), /at most 8 NICs/)
  })
})

describe('buildQemuArgs with NICs', () => {
  test('the NICs keep PCI 03.x in the normal and both rescue layouts, on pc and q35, while disks start at slot 4', () => {
    for (const machineType of ['pc', 'q35'] as const) {
      const instance = { instanceId: 'i-1', name: 's', vcpus: 1, memoryMb: 256, disks: [root, config], configDrive: null, imageProperties: {}, nics: [nic()] }
      const rescue = (mode: 'stable' | 'legacy') => planRescueLayout({ instance, mode, rescueImage: { imageId: 'r', path: '/r', format: 'qcow2', properties: {} }, rescueDevice: 'disk', rescueBus: 'virtio', rescueConfigDrive: null, snapshotRoot: false }, machineType, () => '/f')
      for (const layout of [planDomainLayout([root, config], machineType, () => '/f'), rescue('stable'), rescue('legacy')]) {
        const devices = valuesOf(buildQemuArgs(launch(layout, [nic()])), '-device')
        assert.equal(devices.filter((d) => d.startsWith('virtio-net-pci')).join(), 'virtio-net-pci,netdev=net0,id=nic0,mac=fa:16:3e:11:22:33,addr=0x3.0x0')
        for (const disk of devices.filter((d) => d.startsWith('virtio-blk-pci'))) assert.match(disk, /addr=0x0[4-9]/)
      }
    }
  })

  test('every command line carries Nova\'s SMBIOS type 1 identity', () => {
    const args = buildQemuArgs(launch(planDomainLayout([root], 'pc', () => '/f'), []))
    assert.deepEqual(valuesOf(args, '-smbios'), ['type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,serial=0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10,uuid=0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10,family=Virtual Machine'])
    assert.deepEqual(smbiosArgs('e2e,guest', false), ['-smbios', 'type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,serial=e2e,,guest,family=Virtual Machine'])
  })
})

describe('forwards', () => {
  test('hostfwd rules name the host address and port and the guest\'s fixed address and port', () => {
    assert.equal(hostfwdRule(ssh, '10.0.0.7'), 'tcp:127.42.0.5:2222-10.0.0.7:22')
  })

  test('forwardChanges removes what is no longer wanted and adds what is new; a changed guest port is both', () => {
    assert.deepEqual(forwardChanges([ssh, web], [ssh]), { remove: [web], add: [] })
    assert.deepEqual(forwardChanges([], [ssh, web]), { remove: [], add: [ssh, web] })
    assert.deepEqual(forwardChanges([ssh], [ssh]), { remove: [], add: [] })
    const moved = { ...ssh, guestPort: 2022 }
    assert.deepEqual(forwardChanges([ssh], [moved]), { remove: [ssh], add: [moved] })
  })

  test('a new process records its NICs with the forwards it starts with (none for a resume)', () => {
    assert.deepEqual(pluggedNics([nic()], true), [{ netdev: 'net0', portId: nic().portId, ip: '10.0.0.7', forwards: [ssh] }])
    assert.deepEqual(pluggedNics([nic()], false)[0]!.forwards, [])
  })

  test('a host port another process listens on is LB_HOST_PORT_BUSY before QEMU starts; a free one passes', async (t) => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    t.after(() => taken.close())
    const port = (taken.address() as net.AddressInfo).port
    await assert.rejects(assertHostPortsFree([{ ...ssh, hostAddress: '127.0.0.1', hostPort: port }]),
      (e: unknown) => e instanceof DriverError && e.code === 'LB_HOST_PORT_BUSY' && e.message.includes(`127.0.0.1:${port}`))
    const free = net.createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const freePort = (free.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => free.close(() => resolve()))
    await assertHostPortsFree([{ ...ssh, hostAddress: '127.0.0.1', hostPort: freePort }])
  })
})

describe('dhcpHostname', () => {
  test('the first label of the metadata\'s hostname, else the server name as a DNS label', () => {
    assert.equal(dhcpHostname({ name: 'x', configDrive: { metaData: { hostname: 'web-1.novalocal' }, userData: null, networkData: {} } }), 'web-1')
    assert.equal(dhcpHostname({ name: 'My Server, #2', configDrive: null }), 'my-server-2')
    assert.equal(dhcpHostname({ name: '***', configDrive: null }), 'server')
  })
})
