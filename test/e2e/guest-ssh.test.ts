import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildImages, defaultImagesDir, type BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { buildDebianImage, debianBuildBlocker } from '../../src/virt/qemu/guest-image/debian-image.js'
import { skipUnless } from '../helpers/tiers.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { freePort, keyConfigDrive, makeKey, run, sshRun, startGuest, waitForGuestConsole, type PlainGuest } from './lib/plain-qemu.js'

function debianSkip(): string | false {
  const blocker = debianBuildBlocker()
  return qemuSkip() || skipUnless(blocker === null, `the Debian image build (${blocker ?? ''})`, 'run as root; apt-get install mmdebstrap')
}

// The test guest and the rescue image under plain QEMU with a user-mode NIC: DHCP, the config drive's key, SSH in.
// One guest at a time (TCG, 2 cores).
describe('SSH into the test guest and the rescue image (plain QEMU, user-mode NIC, config drive keys)', { skip: qemuSkip(), timeout: 4 * 60_000 }, () => {
  let dir: string
  let images: BuiltImages
  let guests: PlainGuest[] = []
  let guestKey: { file: string; publicKey: string }
  let rescueKey: { file: string; publicKey: string }
  let otherKey: { file: string; publicKey: string }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-ssh-'))
    images = await buildImages()
    guestKey = await makeKey(dir, 'guest-key')
    rescueKey = await makeKey(dir, 'rescue-key')
    otherKey = await makeKey(dir, 'other-key')
  })
  after(() => {
    for (const guest of guests) guest.stop()
    guests = []
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const overlay = async (base: string, name: string): Promise<string> => {
    const file = path.join(dir, `${name}.qcow2`)
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, file])
    return file
  }

  test('the test guest gets its address by DHCP, installs the config drive key and lets that key in', async () => {
    const port = await freePort()
    const root = await overlay(images.guest, 'guest-root')
    const drive = await keyConfigDrive(path.join(dir, 'guest-config.iso'), 'ssh-guest', { 'guest-key': guestKey.publicKey, other: otherKey.publicKey })
    const guest = startGuest({ dir, name: 'guest', disks: [root], configDrive: drive, sshPort: port })
    guests.push(guest)
    const text = await waitForGuestConsole(guest, /lifeboat-guest: ssh (up|failed)/, 90_000)
    assert.match(text, /lifeboat-guest: address 10\.0\.2\.15\/24 on eth0 via 10\.0\.2\.2/)
    assert.match(text, /lifeboat-guest: keys 2/)
    assert.match(text, /lifeboat-guest: ssh up port 22/)

    const out = await sshRun(guestKey.file, port, 'root', 'cat /run/lifeboat-role; mount -o ro -t ext4 /dev/vda2 /mnt && cat /mnt/lifeboat-marker && umount /mnt; ip -4 -o addr show eth0')
    const [role, marker, address] = out.trim().split('\n')
    assert.equal(role, 'guest')
    assert.equal(marker, 'guest-root')
    assert.match(address!, /inet 10\.0\.2\.15\/24/)
    assert.equal((await sshRun(otherKey.file, port, 'root', 'echo second key works')).trim(), 'second key works')
    guest.stop()
  })

  test('the rescue image does the same with the rescue key, and sees the server\'s disk', async () => {
    const port = await freePort()
    const rescueRoot = await overlay(images.rescueDisk, 'rescue-boot')
    const serverRoot = await overlay(images.guest, 'server-root')
    const drive = await keyConfigDrive(path.join(dir, 'rescue-config.iso'), 'ssh-rescue', { 'rescue-key': rescueKey.publicKey })
    const guest = startGuest({ dir, name: 'rescue', disks: [rescueRoot, serverRoot], configDrive: drive, sshPort: port })
    guests.push(guest)
    const text = await waitForGuestConsole(guest, /lifeboat-guest: ssh (up|failed)/, 90_000)
    assert.match(text, /LB-MARKER-BOOTED role=rescue/)
    assert.match(text, /lifeboat-guest: keys 1/)
    assert.match(text, /lifeboat-guest: ssh up port 22/)

    const out = await sshRun(rescueKey.file, port, 'root', 'cat /run/lifeboat-role; mount -t ext4 /dev/vdb2 /mnt && cat /mnt/lifeboat-marker && echo fixed-in-rescue > /mnt/lifeboat-marker-rescue && sync && umount /mnt && echo wrote')
    assert.deepEqual(out.trim().split('\n'), ['rescue', 'guest-root', 'wrote'])
    // A key the rescue config drive does not carry is refused.
    await assert.rejects(run('ssh', ['-i', guestKey.file, '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', 'root@127.0.0.1', 'true']), /Permission denied/)
    guest.stop()
  })
})

// A real Debian cloud image built from Debian's packages (root, mmdebstrap, package downloads): cloud-init reads the
// config drive and installs the key for the user `debian`, as on an OpenStack cloud.
describe('SSH into the Debian cloud image (cloud-init, config drive)', { skip: debianSkip(), timeout: 20 * 60_000 }, () => {
  let dir: string
  let guest: PlainGuest | null = null
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-debian-')) })
  after(() => {
    guest?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test('cloud-init installs the config drive key for debian; ssh reads the system facts', async () => {
    const built = await buildDebianImage({ dir: defaultImagesDir() })
    const key = await makeKey(dir, 'debian-key')
    const port = await freePort()
    const root = path.join(dir, 'debian-root.qcow2')
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', built.image, root, '2G'])
    const drive = await keyConfigDrive(path.join(dir, 'debian-config.iso'), 'ssh-debian', { 'debian-key': key.publicKey })
    guest = startGuest({ dir, name: 'debian', disks: [root], configDrive: drive, sshPort: port, memoryMb: 512 })
    await waitForGuestConsole(guest, /Cloud-init v\. \S+ finished| login: /, 8 * 60_000)
    const out = await sshRun(key.file, port, 'debian', 'id -un; hostname; cut -d. -f1 /etc/debian_version; cloud-init status --wait | tail -n 1; cat /run/cloud-init/cloud-id; sudo -n cat /proc/cmdline', 120_000)
    const [user, hostname, version, status, cloudId, cmdline] = out.trim().split('\n')
    assert.equal(user, 'debian')
    assert.equal(hostname, 'ssh-debian')
    assert.equal(version, '12')
    assert.match(status!, /status: done/)
    assert.equal(cloudId, 'configdrive') // cloud-init's ConfigDrive datasource read it
    assert.match(cmdline!, /console=ttyS0/)
    guest.stop()
  })
})
