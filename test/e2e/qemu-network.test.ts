import assert from 'node:assert/strict'
import net from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { DriverError, type InstanceSpec, type NicSpec, type PortForward, type RescueSpec } from '../../src/virt/virt-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { freePort, httpGet } from './lib/plain-qemu.js'
import { configDrive, consoleMark, disks, instance, qemuSkip, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

// Loopback addresses as floating IPs are (127.42.0.0/16 by default): only this host reaches them.
const FIP = '127.42.0.7'
const GUEST_PORT = 8000

/**
 * user_data for the test images (busybox): DHCP on eth0 with a script that
 * prints the lease and configures it, the NIC's MAC and PCI path, whether the
 * gateway's `hostPort` (a host service on 127.0.0.1 only) answers, then an
 * HTTP server on GUEST_PORT that names the boot's role.
 */
function networkScript(role: string, hostPort: number): string {
  return `cat > /tmp/dhcp.sh <<'S'
#!/bin/sh
[ "$1" = bound ] || exit 0
echo "LB-DHCP ip=$ip mask=$mask router=$router dns=$dns hostname=$hostname domain=$domain" >/dev/console
ip addr add "$ip/$mask" dev "$interface"
ip route add default via "$router"
S
chmod +x /tmp/dhcp.sh
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -n -q -t 10 -T 2 -s /tmp/dhcp.sh >/dev/null 2>&1 || echo "LB-DHCP failed"
echo "LB-NIC mac=$(cat /sys/class/net/eth0/address) pci=$(readlink -f /sys/class/net/eth0/device)"
# A route out even when DHCP gave none, so that only slirp decides what the guest reaches.
ip route add default via 10.0.0.1 2>/dev/null
if nc -w 3 10.0.0.1 ${hostPort} </dev/null 2>/dev/null | grep -q HOST-ONLY-SECRET; then echo LB-HOST-REACHED; else echo LB-HOST-BLOCKED; fi
if nc -w 3 169.254.169.254 80 </dev/null >/dev/null 2>&1; then echo LB-METADATA-REACHED; else echo LB-METADATA-BLOCKED; fi
echo "LB-DMI $(cat /sys/class/dmi/id/sys_vendor)|$(cat /sys/class/dmi/id/product_name)|$(cat /sys/class/dmi/id/product_family)|$(cat /sys/class/dmi/id/product_serial)"
mkdir -p /www && echo "guest-service role=${role}" > /www/index.html && httpd -p ${GUEST_PORT} -h /www && echo LB-HTTPD-UP`
}

describe('QEMU user-mode networking: DHCP of the port\'s address, forwards at start and at run time, isolation', { skip: qemuSkip(), timeout: 4 * 60_000 }, () => {
  const id = 'e2e-net-1'
  let driver: QemuDriver
  let images: BuiltImages
  let dir: string
  let spec: InstanceSpec
  let hostService: net.Server
  let hostPort: number
  let startPort: number
  const nic: NicSpec = {
    portId: '6c1f2b7e-0000-4000-8000-000000000001', networkId: 'private', mac: 'fa:16:3e:5a:00:07', ip: '10.0.0.7', cidr: '10.0.0.0/24',
    gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [],
  }
  const forward = (hostPort: number): PortForward => ({ protocol: 'tcp', hostAddress: FIP, hostPort, guestPort: GUEST_PORT })
  const withForwards = (forwards: PortForward[]): InstanceSpec => ({ ...spec, nics: [{ ...nic, forwards }] })

  let cleanup = async () => undefined as void
  before(async () => {
    ({ driver, images, dir, cleanup } = await qemuWorld())
    // A service only the host itself should reach (like Lifeboat's own API on 127.0.0.1).
    hostService = net.createServer((socket) => socket.end('HOST-ONLY-SECRET\n'))
    await new Promise<void>((resolve) => hostService.listen(0, '127.0.0.1', resolve))
    hostPort = (hostService.address() as net.AddressInfo).port
    startPort = await freePort(FIP)
  })
  after(async () => {
    hostService?.close()
    await cleanup()
  })

  test('isolated (default): DHCP hands exactly the port\'s address, MAC, host name and domain, but no router or DNS; the forward given at start reaches its service; the host\'s loopback is out of reach', async () => {
    spec = { ...instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', networkScript('guest', hostPort))), nics: [{ ...nic, forwards: [forward(startPort)] }] }
    await driver.spawn(spec)
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
    // slirp with restrict=on leaves the router and DNS options out of its DHCP answers: the guest has nowhere to go but its forwards.
    assert.match(text, /LB-DHCP ip=10\.0\.0\.7 mask=24 router= dns= hostname=e2e-net-1 domain=openstacklocal/)
    assert.match(text, /LB-NIC mac=fa:16:3e:5a:00:07 pci=\/sys\/devices\/pci0000:00\/0000:00:03\.0\//)
    assert.match(text, /LB-HOST-BLOCKED/)
    assert.match(text, /LB-METADATA-BLOCKED/)
    assert.match(text, /LB-DMI OpenStack Foundation\|OpenStack Nova\|Virtual Machine\|e2e-net-1/)
    assert.match(text, /LB-HTTPD-UP/)
    assert.equal(await httpGet(FIP, startPort), 'guest-service role=guest')
  })

  test('network_changed adds a forward to the running guest and removes one, without a restart', async () => {
    const added = await freePort(FIP)
    const from = await consoleMark(driver, id)
    await driver.applyForwards(withForwards([forward(startPort), forward(added)]))
    assert.equal(await httpGet(FIP, added), 'guest-service role=guest')
    await driver.applyForwards(withForwards([forward(added)]))
    assert.match(await httpGet(FIP, startPort), /^error ECONNREFUSED/)
    assert.equal(await httpGet(FIP, added), 'guest-service role=guest')
    await driver.applyForwards(withForwards([]))
    assert.match(await httpGet(FIP, added), /^error ECONNREFUSED/)
    // Same process all along: nothing new on the console (no boot).
    assert.doesNotMatch((await driver.getConsoleOutput(id)).split('\n').slice(from).join('\n'), /LB-MARKER-BOOTED/)
  })

  test('a host port already taken fails with LB_HOST_PORT_BUSY; the other forwards of the change are applied', async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, FIP, resolve))
    const busyPort = (taken.address() as net.AddressInfo).port
    const other = await freePort(FIP)
    try {
      await assert.rejects(driver.applyForwards(withForwards([forward(busyPort), forward(other)])),
        (e: unknown) => e instanceof DriverError && e.code === 'LB_HOST_PORT_BUSY' && e.message.includes(`${FIP}:${busyPort}`))
      assert.equal(await httpGet(FIP, other), 'guest-service role=guest')
    } finally {
      taken.close()
    }
    // What was applied is known: the next change removes `other` and leaves the busy one alone.
    await driver.applyForwards(withForwards([]))
    assert.match(await httpGet(FIP, other), /^error ECONNREFUSED/)
  })

  test('a rescue is a new QEMU process with the same NIC: same address by DHCP, same PCI function, the spec\'s forwards again', async () => {
    const rescuePort = await freePort(FIP)
    const from = await consoleMark(driver, id)
    const rescue: RescueSpec = {
      instance: withForwards([forward(rescuePort)]), mode: 'stable', rescueDevice: 'disk', rescueBus: 'virtio', snapshotRoot: false,
      rescueImage: { imageId: 'lifeboat-rescue', path: images.rescueDisk, format: 'qcow2', properties: {} },
      rescueConfigDrive: configDrive(id, 'rescue', networkScript('rescue', hostPort)),
    }
    await driver.rescue(rescue, { timeoutSeconds: 30 })
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=rescue/, from)
    assert.match(text, /LB-DHCP ip=10\.0\.0\.7 mask=24 /)
    assert.match(text, /LB-NIC mac=fa:16:3e:5a:00:07 pci=\/sys\/devices\/pci0000:00\/0000:00:03\.0\//)
    assert.equal(await httpGet(FIP, rescuePort), 'guest-service role=rescue')
    await driver.destroy(id)
  })

  test('open egress: DHCP also hands the subnet\'s gateway and DNS address, and the guest reaches the host\'s loopback service through the gateway (the consequence docs/qemu.md states)', async () => {
    const open = new QemuDriver({ stateDir: path.join(dir, 'qemu-open'), machineType: 'pc', shutdownTimeoutSeconds: 5, guestEgress: 'open' })
    await open.init()
    const openId = 'e2e-net-open'
    try {
      await open.spawn({ ...instance(openId, [disks.imageRoot(images.guest), disks.config()], configDrive(openId, 'guest', networkScript('guest', hostPort))), nics: [nic] })
      const text = await waitForConsole(open, openId, /LB-MARKER-DONE role=guest/, 0)
      assert.match(text, /LB-DHCP ip=10\.0\.0\.7 mask=24 router=10\.0\.0\.1 dns=10\.0\.0\.254 hostname=e2e-net-open domain=openstacklocal/)
      assert.match(text, /LB-HOST-REACHED/)
    } finally {
      await open.destroy(openId).catch(() => undefined)
    }
  })
})
