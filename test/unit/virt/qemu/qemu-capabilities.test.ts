import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { describe, test } from 'node:test'
import { chooseAcceleration } from '../../../../src/virt/qemu/accel-probe.js'
import { syslinuxConfig } from '../../../../src/virt/qemu/guest-image/boot-media.js'
import { INIT_SCRIPT } from '../../../../src/virt/qemu/guest-image/init-script.js'
import { qemuCapabilities } from '../../../../src/virt/qemu/qemu-driver.js'
import { powerStateOfStatus } from '../../../../src/virt/qemu/qemu-host.js'
import { capabilityTraits, PowerState } from '../../../../src/virt/virt-driver.js'

describe('qemuCapabilities', () => {
  test('pc offers every rescue bus with a real controller, q35 all but IDE (its "ide" is AHCI)', () => {
    assert.deepEqual(qemuCapabilities('pc').rescueBuses, ['virtio', 'scsi', 'ide', 'sata', 'usb'])
    assert.deepEqual(qemuCapabilities('q35').rescueBuses, ['virtio', 'scsi', 'sata', 'usb'])
  })

  test('reports BFV rescue and no floppy rescue device, so the API refuses floppy before anything changes', () => {
    const traits = capabilityTraits(qemuCapabilities('pc'))
    assert.ok(traits.includes('COMPUTE_RESCUE_BFV'))
    assert.ok(traits.includes('COMPUTE_STORAGE_BUS_USB'))
    assert.ok(!traits.includes('COMPUTE_STORAGE_BUS_FDC'))
    assert.deepEqual(qemuCapabilities('pc').rescueDevices, ['disk', 'cdrom'])
    assert.ok(!capabilityTraits(qemuCapabilities('q35')).includes('COMPUTE_STORAGE_BUS_IDE'))
  })
})

describe('powerStateOfStatus', () => {
  test('maps QEMU run states to Nova power states', () => {
    assert.equal(powerStateOfStatus('running'), PowerState.RUNNING)
    assert.equal(powerStateOfStatus('paused'), PowerState.PAUSED)
    assert.equal(powerStateOfStatus('inmigrate'), PowerState.PAUSED)
    assert.equal(powerStateOfStatus('shutdown'), PowerState.SHUTDOWN)
    assert.equal(powerStateOfStatus('guest-panicked'), PowerState.CRASHED)
  })
})

describe('guest image boot files', () => {
  test('syslinux boots the kernel at once, on the serial console, with no prompt', () => {
    const cfg = syslinuxConfig('console=ttyS0 lb.role=rescue')
    for (const line of ['SERIAL 0 115200', 'PROMPT 0', 'TIMEOUT 0', '  KERNEL /vmlinuz', '  INITRD /initrd.gz', '  APPEND console=ttyS0 lb.role=rescue']) assert.ok(cfg.split('\n').includes(line), line)
  })

  test('the init script is valid busybox sh and prints the markers tests wait for', { skip: fs.existsSync('/bin/busybox') ? false : 'busybox-static is not installed' }, () => {
    execFileSync('/bin/busybox', ['sh', '-n', '-c', INIT_SCRIPT])
    for (const marker of ['LB-MARKER-BOOTED role=$ROLE', 'LB-MARKER-DONE role=$ROLE', 'LB-DISK', 'LB-FILE', 'LB-USERDATA', 'poweroff -f', 'Power Button']) assert.ok(INIT_SCRIPT.includes(marker), marker)
  })
})

describe('chooseAcceleration', () => {
  test('is TCG without probing unless LIFEBOAT_QEMU_TRY_KVM asks for KVM', async () => {
    const choice = await chooseAcceleration({ cacheFile: '/nonexistent/never-written.json', tryKvm: false, qemuVersion: '7.2.22' })
    assert.deepEqual(choice, { acceleration: 'tcg', reason: 'TCG (set LIFEBOAT_QEMU_TRY_KVM=1 to probe KVM)' })
  })
})
