import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildImages, type BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { freePort, keyConfigDrive, makeKey, run, sshRun, startGuest, waitForGuestConsole, type PlainGuest } from './lib/plain-qemu.js'

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
