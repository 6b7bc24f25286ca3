import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { DriverError, type InstanceSpec, type NicSpec, type PortForward } from '../../src/virt/virt-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { freePort, httpGet } from './lib/plain-qemu.js'
import { configDrive, consoleMark, disks, genericKernelSkip, instance, qemuSkip, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

const FIP = '127.42.0.8'
const GUEST_PORT = 8000

// The image's init gives every NIC DHCP, at boot and when one is plugged later (`lb_net_watch`); user_data serves HTTP on every address.
const SCRIPT = `mkdir -p /www && echo guest-service > /www/index.html && httpd -p ${GUEST_PORT} -h /www && echo LB-HTTPD-UP`

describe('QEMU NIC hot-plug: os-interface attach and detach on a running guest (pc)', { skip: qemuSkip(), timeout: 5 * 60_000 }, () => {
  const id = 'e2e-nic-hotplug'
  let driver: QemuDriver
  let images: BuiltImages
  let base: InstanceSpec
  let fipPort = 0
  let cleanup = async () => undefined as void
  const first: NicSpec = {
    portId: '6c1f2b7e-0000-4000-8000-000000000011', networkId: 'private', mac: 'fa:16:3e:5a:00:11', ip: '10.0.0.11', cidr: '10.0.0.0/24',
    gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [],
  }
  const second = (forwards: PortForward[]): NicSpec => ({
    portId: '6c1f2b7e-0000-4000-8000-000000000012', networkId: 'second', mac: 'fa:16:3e:5a:00:12', ip: '10.0.1.12', cidr: '10.0.1.0/24',
    gateway: '10.0.1.1', dnsAddress: '10.0.1.254', mtu: 1500, forwards,
  })
  const forward = (): PortForward => ({ protocol: 'tcp', hostAddress: FIP, hostPort: fipPort, guestPort: GUEST_PORT })
  const withBoth = (): InstanceSpec => ({ ...base, nics: [first, second([forward()])] })

  before(async () => {
    ({ driver, images, cleanup } = await qemuWorld())
    fipPort = await freePort(FIP)
    base = { ...instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', SCRIPT)), nics: [first] }
    await driver.spawn(base)
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
    assert.match(text, /address 10\.0\.0\.11\/24 on eth0/)
    assert.match(text, /LB-HTTPD-UP/)
  })
  after(async () => {
    await cleanup()
  })

  test('attach: the guest gets a new interface with the port\'s MAC in a PCI slot of its own, its address by DHCP, and its floating IP forward', async () => {
    const from = await consoleMark(driver, id)
    await driver.attachInterface(withBoth(), second([]).portId)
    const text = await waitForConsole(driver, id, /address 10\.0\.1\.12\/24 on eth1/, from, 30_000)
    assert.match(text, /nic added eth1 mac=fa:16:3e:5a:00:12 pci=\/sys\/devices\/pci0000:00\/0000:00:1f\.0\//)
    assert.doesNotMatch(text, /LB-MARKER-BOOTED/, 'no reboot')
    assert.equal(await httpGet(FIP, fipPort), 'guest-service')
    // Again for the same port: nothing to do.
    await driver.attachInterface(withBoth(), second([]).portId)
  })

  test('suspend and resume keep the hot-plugged NIC (the saved state loads into the same devices) and its forward', async () => {
    await driver.suspend(id)
    await driver.resume(withBoth())
    assert.equal(await httpGet(FIP, fipPort), 'guest-service')
  })

  test('detach: the guest releases the NIC (ACPI eject), the interface and its forward are gone', async () => {
    const from = await consoleMark(driver, id)
    await driver.detachInterface(base, second([]).portId)
    await waitForConsole(driver, id, /nic removed eth1/, from, 30_000)
    assert.match(await httpGet(FIP, fipPort), /^error ECONNREFUSED/)
  })

  test('the next boot has every NIC in slot 3 (same MAC, same address); one of several boot-time NICs can\'t be unplugged alone', async () => {
    await driver.attachInterface(withBoth(), second([]).portId)
    const from = await consoleMark(driver, id)
    await driver.reboot(withBoth(), 'HARD', { timeoutSeconds: 30 })
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, from)
    assert.match(text, /address 10\.0\.1\.12\/24 on eth1/)
    assert.equal(await httpGet(FIP, fipPort), 'guest-service')
    await assert.rejects(driver.detachInterface(base, second([]).portId), (e: unknown) => e instanceof DriverError && e.code === 'LB_HOTPLUG_UNSUPPORTED')
    assert.equal(await httpGet(FIP, fipPort), 'guest-service', 'nothing was unplugged')
    await driver.destroy(id)
  })
})

describe('QEMU NIC hot-plug on q35: into the spare PCIe root ports', { skip: genericKernelSkip(), timeout: 4 * 60_000 }, () => {
  const id = 'e2e-nic-hotplug-q35'
  let driver: QemuDriver
  let cleanup = async () => undefined as void
  let base: InstanceSpec
  const first: NicSpec = {
    portId: '6c1f2b7e-0000-4000-8000-000000000021', networkId: 'private', mac: 'fa:16:3e:5a:00:21', ip: '10.0.0.21', cidr: '10.0.0.0/24',
    gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [],
  }
  const second: NicSpec = { ...first, portId: '6c1f2b7e-0000-4000-8000-000000000022', mac: 'fa:16:3e:5a:00:22', ip: '10.0.1.22', cidr: '10.0.1.0/24', gateway: '10.0.1.1', dnsAddress: '10.0.1.254' }

  before(async () => {
    let images: BuiltImages
    ({ driver, images, cleanup } = await qemuWorld('q35'))
    base = { ...instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', 'true')), nics: [first] }
    await driver.spawn(base)
    await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
  })
  after(() => cleanup())

  test('attach puts the NIC behind the first spare root port (00:1e.0), with its address by DHCP; detach takes it out; the boot NIC can\'t be unplugged', async () => {
    let from = await consoleMark(driver, id)
    await driver.attachInterface({ ...base, nics: [first, second] }, second.portId)
    const text = await waitForConsole(driver, id, /address 10\.0\.1\.22\/24 on eth1/, from, 30_000)
    assert.match(text, /nic added eth1 mac=fa:16:3e:5a:00:22 pci=\/sys\/devices\/pci0000:00\/0000:00:1e\.0\/0000:01:00\.0\//)
    from = await consoleMark(driver, id)
    await driver.detachInterface(base, second.portId)
    await waitForConsole(driver, id, /nic removed eth1/, from, 30_000)
    await assert.rejects(driver.detachInterface({ ...base, nics: [] }, first.portId), (e: unknown) => e instanceof DriverError && e.code === 'LB_HOTPLUG_UNSUPPORTED')
    await driver.destroy(id)
  })
})
