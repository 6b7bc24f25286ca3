import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import type { Session, TestCloud } from '../helpers/cloud.js'
import { action, consoleOutput, uploadImageFile, waitForStatus } from '../helpers/compute.js'
import { waitUntil } from '../helpers/wait-until.js'
import { defaultImagesDir } from '../../src/virt/qemu/guest-image/build-images.js'
import { buildDebianImage, debianBuildBlocker } from '../../src/virt/qemu/guest-image/debian-image.js'
import { skipUnless } from '../helpers/tiers.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { closeQemuCloud, startQemuCloud } from './lib/qemu-cloud.js'
import { makeKey, run } from './lib/plain-qemu.js'

// Issue 13's headline, through the HTTP API of a Lifeboat running real QEMU guests (TCG), as the demo project:
// a server on `private` with keypair k1 and a floating IP; SSH in; rescue with `lifeboat:key_name` k2; SSH into the
// rescue system with k2 (k1 refused), fix the original root disk (still vda: stable rescue); unrescue; SSH in with k1
// and see the fix. Then the Debian cloud image (cloud-init installs the key) the same way.

const BOOT_MS = 180_000
// A host port offset of our own: other clouds on this host use 10000 (the default) for the same floating IPs.
const OFFSET = 20_000 + Math.floor(Math.random() * 40_000)
const SSH_PORT = 22 + OFFSET

function debianSkip(): string | false {
  const blocker = debianBuildBlocker()
  return qemuSkip() || skipUnless(blocker === null, `the Debian image build (${blocker ?? ''})`, 'run as root; apt-get install mmdebstrap')
}

const sshOptions = (key: string, host: string) => ['-i', key, '-p', String(SSH_PORT), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
  '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', host]

/** `ssh -p <22+offset> -i key user@fip command`, retried until it succeeds (a guest that just booted may still refuse). */
async function ssh(key: string, user: string, fip: string, command: string, timeoutMs = BOOT_MS): Promise<string> {
  let last = ''
  return waitUntil(async () => {
    try {
      return await run('ssh', [...sshOptions(key, `${user}@${fip}`), command])
    } catch (error) {
      last = (error as Error).message
      return undefined
    }
  }, { timeoutMs, intervalMs: 1000, what: () => `ssh ${user}@${fip} -p ${SSH_PORT} ${command} kept failing: ${last}` })
}

/** The console's `lifeboat-guest:` lines and cloud-init's key lines after `from` characters: what a closing note quotes. */
const excerpt = (text: string, from = 0) => text.slice(from).split('\n').filter((l) => /lifeboat-guest:|LB-MARKER-BOOTED|ci-info: .*(ssh|Keytype)|Cloud-init v\.|login:/.test(l)).map((l) => l.trimEnd()).join('\n')

/** Imports a keypair for the demo project. */
async function keypair(demo: Session, name: string, publicKey: string): Promise<void> {
  const res = await demo.request('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name, public_key: publicKey } } })
  assert.equal(res.status, 200, res.text)
}

describe('SSH into a server and its rescue system through a floating IP (real QEMU guests, the HTTP API)', { skip: qemuSkip(), timeout: 25 * 60_000 }, () => {
  let cloud: TestCloud
  let dir: string
  let guestImage: string
  let rescueImage: string
  let k1: { file: string; publicKey: string }
  let k2: { file: string; publicKey: string }
  let privateNet: string
  let publicNet: string

  before(async () => {
    ({ cloud, guestImage, rescueImage } = await startQemuCloud({ floatingIpPortOffset: OFFSET }))
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-fip-ssh-'))
    k1 = await makeKey(dir, 'k1')
    k2 = await makeKey(dir, 'k2')
    const demo = cloud.demo
    await keypair(demo, 'k1', k1.publicKey)
    await keypair(demo, 'k2', k2.publicKey)
    const nets = await demo.request('GET', '/network/v2.0/networks')
    assert.equal(nets.status, 200, nets.text)
    privateNet = nets.body.networks.find((n: { name: string }) => n.name === 'private').id
    publicNet = nets.body.networks.find((n: { name: string }) => n.name === 'public').id
    // `openstack security group rule create --proto tcp --dst-port 22 default`: what makes QEMU forward 22.
    const groups = await demo.request('GET', '/network/v2.0/security-groups?name=default')
    assert.equal(groups.status, 200, groups.text)
    const rule = await demo.request('POST', '/network/v2.0/security-group-rules', {
      body: { security_group_rule: { security_group_id: groups.body.security_groups[0].id, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } },
    })
    assert.equal(rule.status, 201, rule.text)
  })
  after(async () => {
    await closeQemuCloud(cloud)
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  /** Boots `image` on `private` with keypair k1; resolves with the server id once ACTIVE. */
  async function boot(name: string, image: string, flavor: string): Promise<string> {
    const created = await cloud.demo.request('POST', '/compute/v2.1/servers', {
      body: { server: { name, imageRef: image, flavorRef: flavor, key_name: 'k1', networks: [{ uuid: privateNet }] } },
    })
    assert.equal(created.status, 202, created.text)
    const server = await waitForStatus(cloud.demo, created.body.server.id, 'ACTIVE', { timeoutMs: BOOT_MS })
    assert.ok(server.addresses.private?.[0]?.addr, JSON.stringify(server.addresses))
    return server.id
  }

  async function newFloatingIp(): Promise<{ id: string; address: string }> {
    const res = await cloud.demo.request('POST', '/network/v2.0/floatingips', { body: { floatingip: { floating_network_id: publicNet } } })
    assert.equal(res.status, 201, res.text)
    return { id: res.body.floatingip.id, address: res.body.floatingip.floating_ip_address }
  }

  test('the test guest: ssh in with k1, rescue with k2 and fix its root disk at vda, unrescue and see the fix with k1', async (t: TestContext) => {
    const demo = cloud.demo
    const id = await boot('lost-key', guestImage, '42')
    // Associate through the Neutron API: the server's port on `private`.
    const ports = await demo.request('GET', `/network/v2.0/ports?device_id=${id}`)
    assert.equal(ports.body.ports.length, 1, ports.text)
    const fip = await newFloatingIp()
    const put = await demo.request('PUT', `/network/v2.0/floatingips/${fip.id}`, { body: { floatingip: { port_id: ports.body.ports[0].id } } })
    assert.equal(put.status, 200, put.text)
    assert.equal(put.body.floatingip.fixed_ip_address, ports.body.ports[0].fixed_ips[0].ip_address)
    const shown = await waitForStatus(demo, id, 'ACTIVE')
    assert.deepEqual(shown.addresses.private.map((a: Record<string, string>) => a['OS-EXT-IPS:type']), ['fixed', 'floating'])

    const out = await ssh(k1.file, 'root', fip.address, `cat /run/lifeboat-role; ip -4 -o addr show eth0 | awk '{print $4}'; mount -t ext4 /dev/vda2 /mnt && cat /mnt/lifeboat-marker && echo ${id} > /mnt/lifeboat-server && sync && umount /mnt && echo ok`)
    t.diagnostic(`ssh -p ${SSH_PORT} -i k1 root@${fip.address} (server): ${out.trim().split('\n').join(' | ')}`)
    const [role, address, marker, written] = out.trim().split('\n')
    assert.equal(role, 'guest')
    assert.equal(address, `${ports.body.ports[0].fixed_ips[0].ip_address}/24`)
    assert.equal(marker, 'guest-root')
    assert.equal(written, 'ok')
    t.diagnostic(`console (server):\n${excerpt(await consoleOutput(demo, id))}`)

    // Lost k1: rescue with k2.
    const mark = (await consoleOutput(demo, id)).length
    const rescued = await action(demo, id, { rescue: { rescue_image_ref: rescueImage, 'lifeboat:key_name': 'k2' } })
    assert.equal(rescued.status, 200, rescued.text)
    await waitForStatus(demo, id, 'RESCUE', { timeoutMs: BOOT_MS })
    const inRescue = await ssh(k2.file, 'root', fip.address,
      `cat /run/lifeboat-role; mount -t ext4 /dev/vda2 /mnt && cat /mnt/lifeboat-server && echo fixed-in-rescue > /mnt/lifeboat-fixed && sync && umount /mnt && echo ok`)
    t.diagnostic(`ssh -p ${SSH_PORT} -i k2 root@${fip.address} (rescue): ${inRescue.trim().split('\n').join(' | ')}`)
    assert.deepEqual(inRescue.trim().split('\n'), ['rescue', id, 'ok'], 'the rescue system sees this server\'s root disk at vda')
    await assert.rejects(run('ssh', [...sshOptions(k1.file, `root@${fip.address}`), 'true']), /Permission denied/, 'the lost key k1 does not open the rescue system')
    t.diagnostic(`console (rescue):\n${excerpt(await consoleOutput(demo, id), mark)}`)

    assert.equal((await action(demo, id, { unrescue: null })).status, 202)
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    // The rescue system's host key is not the server's, and it may still answer for a moment: wait for the guest's role.
    const back = await waitUntil(async () => {
      const text = await ssh(k1.file, 'root', fip.address, 'cat /run/lifeboat-role; mount -o ro -t ext4 /dev/vda2 /mnt && cat /mnt/lifeboat-fixed; umount /mnt')
      return text.startsWith('guest') ? text : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 1000, what: 'ssh with k1 after unrescue' })
    t.diagnostic(`ssh -p ${SSH_PORT} -i k1 root@${fip.address} (after unrescue): ${back.trim().split('\n').join(' | ')}`)
    assert.deepEqual(back.trim().split('\n'), ['guest', 'fixed-in-rescue'])
    await assert.rejects(run('ssh', [...sshOptions(k2.file, `root@${fip.address}`), 'true']), /Permission denied/, 'k2 was for the rescue only')

    assert.equal((await demo.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204)
    assert.equal((await demo.request('DELETE', `/network/v2.0/floatingips/${fip.id}`)).status, 204)
  })

  test('the Debian cloud image: cloud-init installs k1 for debian, ssh through a floating IP added with addFloatingIp; rescue with k2, add k2 to debian\'s keys, unrescue and ssh in with k2', { skip: debianSkip() }, async (t: TestContext) => {
    const demo = cloud.demo
    const built = await buildDebianImage({ dir: defaultImagesDir() })
    const debianImage = await uploadImageFile(cloud.admin, built.image, 'debian-12')
    const id = await boot('debian-vm', debianImage, '1')
    // Nova's proxy action (≤ 2.43), as `openstack server add floating ip` sends it.
    const fip = await newFloatingIp()
    const added = await action(demo, id, { addFloatingIp: { address: fip.address } }, '2.1')
    assert.equal(added.status, 202, added.text)
    const out = await ssh(k1.file, 'debian', fip.address, 'id -un; hostname; cut -d. -f1 /etc/debian_version; cloud-init status --wait | tail -n 1; cat /run/cloud-init/cloud-id', 10 * 60_000)
    t.diagnostic(`ssh -p ${SSH_PORT} -i k1 debian@${fip.address}: ${out.trim().split('\n').join(' | ')}`)
    const [user, hostname, version, status, cloudId] = out.trim().split('\n')
    assert.equal(user, 'debian')
    assert.equal(hostname, 'debian-vm')
    assert.equal(version, '12')
    assert.match(status!, /status: done/)
    assert.equal(cloudId, 'configdrive')
    t.diagnostic(`console (Debian):\n${excerpt(await consoleOutput(demo, id))}`)

    const rescued = await action(demo, id, { rescue: { rescue_image_ref: rescueImage, 'lifeboat:key_name': 'k2' } })
    assert.equal(rescued.status, 200, rescued.text)
    await waitForStatus(demo, id, 'RESCUE', { timeoutMs: BOOT_MS })
    // The fix a user with a lost key makes: the new key into debian's authorized_keys on the root disk (vda2, still at vda).
    const inRescue = await ssh(k2.file, 'root', fip.address,
      `cat /run/lifeboat-role; mount -t ext4 /dev/vda2 /mnt && cut -d. -f1 /mnt/etc/debian_version && echo '${k2.publicKey}' >> /mnt/home/debian/.ssh/authorized_keys && wc -l < /mnt/home/debian/.ssh/authorized_keys && sync && umount /mnt && echo ok`)
    t.diagnostic(`ssh -p ${SSH_PORT} -i k2 root@${fip.address} (rescue of Debian): ${inRescue.trim().split('\n').join(' | ')}`)
    assert.deepEqual(inRescue.trim().split('\n'), ['rescue', '12', '2', 'ok'], 'the Debian root disk is at vda in the rescue system, with k1 installed by cloud-init')

    assert.equal((await action(demo, id, { unrescue: null })).status, 202)
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    // The rescue system may answer for a moment yet: wait for debian to let k2 in.
    const back = await ssh(k2.file, 'debian', fip.address, 'id -un; cut -d. -f1 /etc/debian_version', 10 * 60_000)
    t.diagnostic(`ssh -p ${SSH_PORT} -i k2 debian@${fip.address} (after unrescue): ${back.trim().split('\n').join(' | ')}`)
    assert.deepEqual(back.trim().split('\n'), ['debian', '12'])
    assert.equal((await demo.request('DELETE', `/compute/v2.1/servers/${id}`)).status, 204)
  })
})
