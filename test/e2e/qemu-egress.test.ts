import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { onPath } from '../../src/virt/driver-factory.js'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import { DriverError, type InstanceSpec, type NicSpec, type PortForward } from '../../src/virt/virt-driver.js'
import { buildImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { freePort, httpGet } from './lib/plain-qemu.js'
import { configDrive, disks, instance, qemuSkip, waitForConsole } from './lib/qemu-guests.js'
import { skipUnless } from '../helpers/tiers.js'

const FIP = '127.42.0.8'
const GUEST_PORT = 8000
const METADATA = '169.254.169.254'

/** The host's first IPv4 address outside loopback: "the outside" for a machine without internet. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address
}

function skip(): string | false {
  return qemuSkip() || skipUnless(onPath('slirp4netns'), 'slirp4netns (guest egress nat)', 'apt-get install slirp4netns')
    || skipUnless(outsideAddress() !== undefined, 'a non-loopback IPv4 address on this host', 'an interface with an IPv4 address')
}

/** A TCP listener on `host` that answers every connection with `text`. */
async function listener(host: string, port: number, text: string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end(`${text}\n`))
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve))
  return server
}

/** user_data: DHCP with a script that prints the lease, then which of the three listeners answer, then an HTTP server. */
function egressScript(outside: string, port: number): string {
  const probe = (label: string, address: string, secret: string) =>
    `if nc -w 3 ${address} ${port} </dev/null 2>/dev/null | grep -q ${secret}; then echo LB-${label}-REACHED; else echo LB-${label}-BLOCKED; fi`
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
${probe('OUTSIDE', outside, 'OUTSIDE-SERVICE')}
${probe('HOST', '10.0.0.1', 'HOST-ONLY-SECRET')}
${probe('METADATA', METADATA, 'METADATA-SECRET')}
mkdir -p /www && echo "guest-service egress=nat" > /www/index.html && httpd -p ${GUEST_PORT} -h /www && echo LB-HTTPD-UP`
}

describe('guest egress nat (the default): the outside yes, the host\'s loopback and 169.254.169.254 no, forwards as before', { skip: skip(), timeout: 4 * 60_000 }, () => {
  const id = 'e2e-egress-nat'
  const outside = outsideAddress()!
  const nic: NicSpec = {
    portId: '6c1f2b7e-0000-4000-8000-0000000000e1', networkId: 'private', mac: 'fa:16:3e:5a:00:e1', ip: '10.0.0.9', cidr: '10.0.0.0/24',
    gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500, forwards: [],
  }
  const forward = (hostPort: number): PortForward => ({ protocol: 'tcp', hostAddress: FIP, hostPort, guestPort: GUEST_PORT })
  let dir: string
  let driver: QemuDriver
  let spec: InstanceSpec
  let port: number
  let startPort: number
  const servers: net.Server[] = []
  let metadataLink = false
  const warnings: string[] = []

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-egress-'))
    const images = await buildImages()
    driver = new QemuDriver({ stateDir: path.join(dir, 'qemu'), machineType: 'pc', shutdownTimeoutSeconds: 5, guestEgress: 'nat', log: { warn: (_fields, message) => warnings.push(message) } })
    await driver.init()
    // One port for all three listeners: the guest's answers then differ only by address.
    port = await freePort(outside)
    servers.push(await listener(outside, port, 'OUTSIDE-SERVICE'))
    // Like Lifeboat's own API: a service only the host itself should reach.
    servers.push(await listener('127.0.0.1', port, 'HOST-ONLY-SECRET'))
    if (process.getuid?.() === 0) {
      // As root, a metadata service really is there (the address on the host's loopback link, which needs no dummy
      // module), so "blocked" is the namespace's doing, not an empty address.
      execFileSync('ip', ['addr', 'add', `${METADATA}/32`, 'dev', 'lo'])
      metadataLink = true
      servers.push(await listener(METADATA, port, 'METADATA-SECRET'))
    }
    startPort = await freePort(FIP)
    spec = { ...instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', egressScript(outside, port))), nics: [{ ...nic, forwards: [forward(startPort)] }] }
  })
  after(async () => {
    await driver?.destroy(id).catch(() => undefined)
    for (const server of servers) server.close()
    if (metadataLink) execFileSync('ip', ['addr', 'del', `${METADATA}/32`, 'dev', 'lo'])
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test('the probe found namespaces and slirp4netns: nat stays nat', () => {
    assert.equal(driver.guestEgress, 'nat')
  })

  test('without slirp4netns the driver says so once, at warn, and runs isolated (never open)', async () => {
    // A PATH with QEMU but nothing else: no slirp4netns, no unshare.
    const bin = path.join(dir, 'bin-without-slirp4netns')
    fs.mkdirSync(bin)
    fs.symlinkSync(execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { encoding: 'utf8' }).trim(), path.join(bin, 'qemu-system-x86_64'))
    const saved = process.env.PATH
    const said: string[] = []
    try {
      process.env.PATH = bin
      const lacking = new QemuDriver({ stateDir: path.join(dir, 'qemu-lacking'), machineType: 'pc', guestEgress: 'nat', log: { warn: (_fields, message) => said.push(message) } })
      await lacking.init()
      assert.equal(lacking.guestEgress, 'isolated')
    } finally {
      process.env.PATH = saved
    }
    assert.equal(said.length, 1)
    assert.match(said[0]!, /^guest egress nat is not available here \(slirp4netns is not installed \(apt-get install slirp4netns\)\); guests start isolated/)
  })

  test('DHCP hands the port\'s address, router and DNS; the guest reaches the outside listener but neither the host\'s 127.0.0.1 (through the gateway) nor 169.254.169.254', async () => {
    await driver.spawn(spec)
    const text = await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
    assert.match(text, /LB-DHCP ip=10\.0\.0\.9 mask=24 router=10\.0\.0\.1 dns=10\.0\.0\.254 hostname=e2e-egress-nat domain=openstacklocal/)
    assert.match(text, /LB-OUTSIDE-REACHED/)
    assert.match(text, /LB-HOST-BLOCKED/)
    assert.match(text, /LB-METADATA-BLOCKED/)
    assert.match(text, /LB-HTTPD-UP/)
    if (metadataLink) assert.equal((await new Promise<string>((resolve) => net.connect(port, METADATA).on('data', (d) => resolve(String(d).trim())).on('error', (e) => resolve(e.message)))), 'METADATA-SECRET')
  })

  test('floating-IP forwards reach the guest from the host: the one given at start, one added at run time, and a removed one no more', async () => {
    assert.equal(await httpGet(FIP, startPort), 'guest-service egress=nat')
    assert.deepEqual(warnings, [])
    const added = await freePort(FIP)
    await driver.applyForwards({ ...spec, nics: [{ ...nic, forwards: [forward(startPort), forward(added)] }] })
    assert.equal(await httpGet(FIP, added), 'guest-service egress=nat')
    await driver.applyForwards({ ...spec, nics: [{ ...nic, forwards: [forward(added)] }] })
    assert.match(await httpGet(FIP, startPort), /^error ECONNREFUSED/)
    assert.equal(await httpGet(FIP, added), 'guest-service egress=nat')
  })

  test('a host port already taken fails with LB_HOST_PORT_BUSY and leaves no half-made forward; a driver started anew (agent restart) changes the forwards as well', async () => {
    const taken = await listener(FIP, 0, 'TAKEN')
    const busyPort = (taken.address() as net.AddressInfo).port
    const other = await freePort(FIP)
    try {
      await assert.rejects(driver.applyForwards({ ...spec, nics: [{ ...nic, forwards: [forward(busyPort), forward(other)] }] }),
        (e: unknown) => e instanceof DriverError && e.code === 'LB_HOST_PORT_BUSY' && e.message.includes(`${FIP}:${busyPort}`))
      assert.equal(await httpGet(FIP, other), 'guest-service egress=nat')
    } finally {
      taken.close()
    }
    const restarted = new QemuDriver({ stateDir: path.join(dir, 'qemu'), machineType: 'pc', guestEgress: 'nat' })
    await restarted.init()
    // Had the failed change left its inner half (QEMU's hostfwd in the namespace), this re-add of the same port would be refused.
    await restarted.applyForwards({ ...spec, nics: [{ ...nic, forwards: [forward(busyPort)] }] })
    assert.equal(await httpGet(FIP, busyPort), 'guest-service egress=nat')
    assert.match(await httpGet(FIP, other), /^error ECONNREFUSED/)
  })

  test('suspend and resume: the restored QEMU gets a namespace and its forwards again', async () => {
    await driver.suspend(id)
    await driver.resume({ ...spec, nics: [{ ...nic, forwards: [forward(startPort)] }] })
    assert.equal(await httpGet(FIP, startPort), 'guest-service egress=nat')
  })

  test('slirp4netns ends with its QEMU', async () => {
    const paths = path.join(dir, 'qemu', 'domains', id)
    const pidOf = (name: string) => execFileSync('pgrep', ['-f', `${name}.*${paths}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean)
    assert.equal(pidOf('slirp4netns').length, 1)
    await driver.destroy(id)
    let left: string[] = []
    for (let i = 0; i < 50; i++) {
      try {
        left = pidOf('slirp4netns')
      } catch {
        left = []
      }
      if (left.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.deepEqual(left, [])
  })
})
