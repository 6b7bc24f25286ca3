import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import type { TaskContext } from '../../src/agent/manager/manager-context.js'
import { PowerState } from '../../src/virt/virt-driver.js'
import { resizeInstance } from '../../src/agent/manager/resize-instance.js'
import { configDrive, consoleMark, disks, instance, qemuSkip, useQemuWorld, waitForConsole } from './lib/qemu-guests.js'

// Each boot: keep a marker on the root's filesystem (say when it was there already) and print the root's size in sectors.
const SCRIPT = 'mkdir -p /m && mount -t ext4 /dev/vda2 /m && { if [ -e /m/lb-resize ]; then echo LB-RESIZE-KEPT; else echo w > /m/lb-resize; fi; sync; umount /m; }; echo "LB-VDA-SECTORS $(cat /sys/block/vda/size)"'

// Resize as the agent does it (resize-instance.ts): one guest, 1 GiB root → 2 GiB, then confirm.
describe('resize on QEMU: the guest sees the bigger root, its data kept; confirm drops the kept disk', { skip: qemuSkip(), timeout: 5 * 60_000 }, () => {
  const id = 'e2e-resize-1'
  const world = useQemuWorld()

  test('1 GiB → 2 GiB root, 256 → 384 MiB, running again; the root\'s write survives; confirm removes the copy', async () => {
    const { driver, images, dir } = world
    const spec = instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', SCRIPT))
    await driver.spawn(spec)
    const first = await waitForConsole(driver, id, /LB-VDA-SECTORS \d+/, 0)
    assert.match(first, /LB-VDA-SECTORS 2097152/)
    const mark = await consoleMark(driver, id)
    const ctx = { driver, events: { record: () => undefined }, log: { info: () => undefined, warn: () => undefined, error: () => undefined } } as unknown as TaskContext
    await resizeInstance(ctx, spec, { vcpus: 1, memoryMb: 384, rootGb: 2 }, true, 30)
    const second = await waitForConsole(driver, id, /LB-VDA-SECTORS \d+/, mark)
    assert.match(second, /LB-VDA-SECTORS 4194304/)
    assert.match(second, /LB-RESIZE-KEPT/)
    assert.equal((await driver.getDomain(id))?.powerState, PowerState.RUNNING)
    const domainDir = path.join(dir, 'qemu/domains', id)
    const record = JSON.parse(fs.readFileSync(path.join(domainDir, 'domain.json'), 'utf8'))
    assert.equal(record.spec.memoryMb, 384)
    assert.ok(fs.existsSync(path.join(domainDir, 'root.resize-backup.qcow2')), 'the old root is kept until confirm')
    await driver.confirmResize(id)
    assert.ok(!fs.existsSync(path.join(domainDir, 'root.resize-backup.qcow2')))
  })
})
