import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack } from '../helpers/openstack-cli.js'
import { skipUnless } from '../helpers/tiers.js'

const execFileAsync = promisify(execFile)

/** Debian's python3-openstacksdk lives in /usr/lib/python3/dist-packages: run it on /usr/bin/python3. */
const PYTHON = '/usr/bin/python3'

function skipWithoutSdk(): string | false {
  let present = false
  try {
    execFileSync(PYTHON, ['-c', 'import openstack'], { stdio: 'ignore' })
    present = true
  } catch { /* reported below */ }
  return skipUnless(present, 'openstacksdk', 'apt-get install python3-openstacksdk')
    || skipUnless(['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].some((p) => fs.existsSync(p)), 'qemu-img', 'apt-get install qemu-utils')
}

/*
 * The cloud layer's create_server(network=…, auto_ip=True, wait=True): it waits for ACTIVE,
 * finds the server's port, takes (or reuses) a floating IP on the external network, attaches
 * it and waits until `addresses` shows it (openstack/cloud/_floating_ip.py). delete_server
 * without delete_ips leaves the floating IP allocated, only unbound.
 */
const SCRIPT = `
import json, sys, openstack
conn = openstack.connect(cloud='lifeboat-demo')
image = conn.image.find_image('sdk-img')
server = conn.create_server('sdk-s1', image={'id': image.id}, flavor={'id': sys.argv[1]}, network='private', auto_ip=True, wait=True, timeout=120)
ports = [p.id for p in conn.network.ports(device_id=server.id)]
out = {'status': server.status, 'addresses': server.addresses, 'public_v4': server.public_v4, 'private_v4': server.private_v4, 'ports': ports}
conn.delete_server(server.id, wait=True, timeout=120)
out['ports_after'] = [p.id for p in conn.network.ports(device_id=server.id)]
out['fips_after'] = [{'ip': f.floating_ip_address, 'port_id': f.port_id, 'status': f.status} for f in conn.network.ips()]
print(json.dumps(out))
`

describe('openstacksdk: create_server with a network and auto_ip', { skip: skipWithoutSdk() }, () => {
  let cloud: TestCloud
  let dir: string
  before(async () => {
    cloud = await startTestCloud('sqlite')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-sdk-'))
    const file = path.join(dir, 'tiny.qcow2')
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '64M'])
    const res = await openstack(cloud, 'lifeboat-admin', ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--public', '--file', file, 'sdk-img'])
    assert.equal(res.code, 0, res.stderr)
  })
  after(async () => {
    await cloud?.close()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  test("create_server(network='private', auto_ip=True, wait=True): ACTIVE with a floating address; delete_server(wait=True) frees the port, keeps the floating IP", { timeout: 300_000 }, async () => {
    const flavors = (await cloud.admin.request('GET', '/compute/v2.1/flavors')).body.flavors as Array<{ id: string }>
    const env = { PATH: '/usr/bin:/bin', HOME: path.dirname(cloud.running.cloudsYamlPath), OS_CLIENT_CONFIG_FILE: cloud.running.cloudsYamlPath }
    const { stdout } = await execFileAsync(PYTHON, ['-c', SCRIPT, flavors[0]!.id], { env, timeout: 240_000 })
    const out = JSON.parse(stdout.trim().split('\n').pop()!)
    console.log(`sdk: status ${out.status}, private_v4 ${out.private_v4}, public_v4 ${out.public_v4}`)
    assert.equal(out.status, 'ACTIVE')
    const addresses = out.addresses.private as Array<{ addr: string; 'OS-EXT-IPS:type': string }>
    const floating = addresses.filter((a) => a['OS-EXT-IPS:type'] === 'floating').map((a) => a.addr)
    const fixed = addresses.filter((a) => a['OS-EXT-IPS:type'] === 'fixed').map((a) => a.addr)
    assert.equal(floating.length, 1, JSON.stringify(out.addresses))
    assert.match(floating[0]!, /^127\.42\.0\./)
    assert.match(fixed[0]!, /^10\.0\.0\./)
    assert.deepEqual({ public: out.public_v4, private: out.private_v4 }, { public: floating[0], private: fixed[0] })
    assert.equal(out.ports.length, 1)
    assert.deepEqual(out.ports_after, [])
    const fip = (out.fips_after as Array<{ ip: string; port_id: string | null; status: string }>).find((f) => f.ip === floating[0])
    assert.ok(fip, JSON.stringify(out.fips_after))
    assert.equal(fip.port_id, null)
    assert.equal(fip.status, 'DOWN')
  })
})
