import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import { PowerState } from '../../src/virt/virt-driver.js'
import { configDrive, consoleMark, disks, instance, qemuSkip, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

// Each boot: keep a marker on the root's filesystem (say when it was there already), then say it is alive every second.
const SCRIPT = [
  'mkdir -p /m && mount -t ext4 /dev/vda2 /m && { if [ -e /m/lb-live ]; then echo "LB-LIVE-KEPT $(cat /m/lb-live)"; else echo marker-1 > /m/lb-live; echo LB-LIVE-WROTE; fi; sync; umount /m; }',
  '( i=0; while true; do i=$((i+1)); echo "LB-ALIVE $i"; sleep 1; done ) &',
].join('\n')

// Two QEMU hosts as two drivers on separate state folders (the agents' data folders), the RAM and the disks over loopback TCP,
// each guest in its own network namespace (egress nat, the default): QEMU's streams go through unix sockets the drivers relay.
describe('live migration on QEMU: block-mirrored disks and RAM to another host, the guest keeps running', { skip: qemuSkip(), timeout: 6 * 60_000 }, () => {
  const id = 'e2e-live-1'
  let source: QemuDriver
  let destination: QemuDriver
  let images: BuiltImages
  let destDir = ''
  let cleanup = async () => undefined as void
  before(async () => {
    ({ driver: source, images, cleanup } = await qemuWorld('pc', 'nat'))
    destDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-e2e-qemu-dest-'))
    destination = new QemuDriver({ stateDir: path.join(destDir, 'qemu'), machineType: 'pc', shutdownTimeoutSeconds: 30, guestEgress: 'nat' })
    await destination.init()
  })
  after(async () => {
    for (const domain of await destination.listDomains()) await destination.destroy(domain.instanceId)
    fs.rmSync(destDir, { recursive: true, force: true })
    await cleanup()
  })

  test('the guest runs on the destination with its root disk\'s marker, and is gone from the source', async () => {
    const spec = instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', SCRIPT))
    await source.spawn(spec)
    await waitForConsole(source, id, /LB-ALIVE 2\b/, 0)
    const incoming = await destination.prepareIncomingMigration(spec, '127.0.0.1')
    const stats = await source.migrateLive(spec, incoming)
    await destination.finishIncomingMigration(id, { paused: false })
    console.log(`live migration: total ${stats.totalMs} ms, guest paused ${stats.downtimeMs ?? '?'} ms`)
    assert.equal((await source.getDomain(id))?.powerState, PowerState.SHUTDOWN, 'the source QEMU quit')
    assert.equal((await destination.getDomain(id))?.powerState, PowerState.RUNNING)
    // The guest's loop goes on on the destination: its serial console (a new log there) shows it counting.
    const alive = await waitForConsole(destination, id, /LB-ALIVE \d+[\s\S]*LB-ALIVE \d+/, 0)
    assert.doesNotMatch(alive, /LB-LIVE-WROTE/, 'no new boot: the same guest continued')
    // The marker written before the migration is on the destination's root disk: a hard reboot there finds it.
    const mark = await consoleMark(destination, id)
    await destination.reboot(spec, 'HARD', { timeoutSeconds: 0 })
    const boot = await waitForConsole(destination, id, /LB-LIVE-(KEPT|WROTE)/, mark)
    assert.match(boot, /LB-LIVE-KEPT marker-1/)
  })
})
