import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../../src/config.js'
import { NETNS_ADDRESS, NETNS_DNS, namespaceResolvConf, namespaceScript, namespacedCommand, slirp4netnsArgs } from '../../../../src/virt/qemu/qemu-netns.js'
import { nicArgs, userNetdev } from '../../../../src/virt/qemu/qemu-network.js'
import { innerPort, listNamespaceForwards, slirpApi } from '../../../../src/virt/qemu/slirp4netns-api.js'
import { DriverError, type NicSpec } from '../../../../src/virt/virt-driver.js'

const nic: NicSpec = {
  portId: 'p-1', networkId: 'n-1', mac: 'fa:16:3e:00:00:01', ip: '10.0.0.7', cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsAddress: '10.0.0.254', mtu: 1500,
  forwards: [{ protocol: 'tcp', hostAddress: '127.42.0.5', hostPort: 2222, guestPort: 22 }],
}

describe('guest egress nat: the namespace plan', () => {
  test('QEMU runs under unshare in new user, network and mount namespaces; the script prohibits link-local, shows slirp4netns\'s DNS, then becomes QEMU', () => {
    const { file, args } = namespacedCommand(['qemu-system-x86_64', '-name', 'a b'], '/state/d/resolv.conf')
    assert.equal(file, 'unshare')
    assert.deepEqual(args.slice(0, 8), ['--user', '--map-root-user', '--net', '--mount', '--', 'sh', '-c', namespaceScript()])
    assert.deepEqual(args.slice(8), ['lifeboat-netns', '/state/d/resolv.conf', 'qemu-system-x86_64', '-name', 'a b'])
    assert.equal(namespaceScript(), 'ip route add prohibit 169.254.0.0/16 && if [ -e /etc/resolv.conf ]; then mount --bind "$1" /etc/resolv.conf; fi && shift && exec "$@"')
    assert.equal(namespaceResolvConf().trim().split('\n').at(-1), `nameserver ${NETNS_DNS}`)
  })

  test('the script passes its arguments through unchanged (no shell expansion of QEMU\'s command line)', { skip: fs.existsSync('/bin/sh') ? false : 'no /bin/sh' }, () => {
    // Run the script's tail (without the namespace parts) the way unshare would: `sh -c SCRIPT $0 $1 ...`.
    const tail = namespaceScript().split(' && ').slice(-2).join(' && ')
    const out = execFileSync('sh', ['-c', tail, 'lifeboat-netns', '/r', 'printf', '%s|', 'a b', '$HOME', '`id`'], { encoding: 'utf8' })
    assert.equal(out, 'a b|$HOME|`id`|')
  })

  test('slirp4netns: tap configured, host loopback refused, an API socket, QEMU\'s socket pair as exit fd, a ready fd', () => {
    assert.deepEqual(slirp4netnsArgs(4242, '/state/d/net.sock'), [
      '--configure', '--mtu=65520', '--disable-host-loopback', '--cidr=10.0.2.0/24', '--api-socket', '/state/d/net.sock', '--exit-fd=3', '--ready-fd=4', '4242', 'tap0',
    ])
    assert.equal(NETNS_ADDRESS, '10.0.2.100')
  })

  test('nat NICs are not restricted (the namespace is the fence); isolated ones are; forwards then start inside, on the tap address', () => {
    assert.equal(userNetdev(nic, 'net0', { hostname: 'h', egress: 'nat' }).restrict, false)
    assert.equal(userNetdev(nic, 'net0', { hostname: 'h', egress: 'isolated' }).restrict, true)
    assert.equal(userNetdev(nic, 'net0', { hostname: 'h', egress: 'open' }).restrict, false)
    const [, netdev] = nicArgs([nic], { hostname: 'h', egress: 'nat', withForwards: false })
    assert.doesNotMatch(netdev!, /hostfwd=/)
    assert.match(netdev!, /,restrict=off$/)
  })

  test('an inner port is the host port when free in the namespace, else the next free one above 1024', () => {
    assert.equal(innerPort(10022, []), 10022)
    assert.equal(innerPort(10022, [10022]), 10023)
    assert.equal(innerPort(10022, [10022, 10023]), 10024)
    assert.equal(innerPort(65535, [65535]), 1025)
    assert.equal(innerPort(22, [22]), 1025)
  })

  test('the service defaults to nat and takes isolated and open; anything else is refused', () => {
    assert.equal(loadConfig({}).agent.guestEgress, 'nat')
    assert.equal(loadConfig({ agent: { guestEgress: 'isolated' } }).agent.guestEgress, 'isolated')
    assert.equal(loadConfig({ agent: { guestEgress: 'open' } }).agent.guestEgress, 'open')
    assert.throws(() => loadConfig({ agent: { guestEgress: 'wide' as 'open' } }), /guest egress must be nat, isolated or open, got wide/)
  })
})

describe('slirp4netns API client', () => {
  /** A fake API socket answering each request with `answer(request)`. */
  async function fakeApi(answer: (request: { execute: string; arguments?: Record<string, unknown> }) => string): Promise<{ socket: string; close: () => void }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-s4n-'))
    const socket = path.join(dir, 'api.sock')
    const server = net.createServer((connection) => connection.once('data', (data) => connection.end(answer(JSON.parse(String(data)) as { execute: string }))))
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    return { socket, close: () => { server.close(); fs.rmSync(dir, { recursive: true, force: true }) } }
  }

  test('returns `return`, takes list_hostfwd\'s bare `entries`, and turns `error` into a DriverError with slirp4netns\'s text', async () => {
    const api = await fakeApi((request) => {
      if (request.execute === 'list_hostfwd') return JSON.stringify({ entries: [{ id: 1, proto: 'tcp', host_addr: '127.42.0.5', host_port: 10022, guest_addr: NETNS_ADDRESS, guest_port: 10022 }] })
      if (request.execute === 'add_hostfwd') return JSON.stringify({ return: { id: 2 } })
      return JSON.stringify({ error: { desc: 'bad request: add_hostfwd: slirp_add_hostfwd failed' } })
    })
    try {
      assert.deepEqual((await listNamespaceForwards(api.socket)).map((e) => e.host_port), [10022])
      assert.deepEqual(await slirpApi(api.socket, 'add_hostfwd', {}), { id: 2 })
      await assert.rejects(slirpApi(api.socket, 'remove_hostfwd', { id: 9 }), (e: unknown) => e instanceof DriverError && /slirp_add_hostfwd failed/.test(e.message))
    } finally {
      api.close()
    }
  })
})
