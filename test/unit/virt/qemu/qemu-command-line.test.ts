import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { planDomainLayout } from '../../../../src/virt/disk-layout.js'
import { planRescueLayout } from '../../../../src/virt/rescue-layout.js'
import { buildQemuArgs, deviceOption, frontendDevice, layoutControllers, type QemuLaunch } from '../../../../src/virt/qemu/qemu-command-line.js'
import type { DeviceType, DiskBus, DiskSpec, DomainLayout, MachineType, RescueSpec } from '../../../../src/virt/virt-driver.js'

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/images/img', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }
const volume: DiskSpec = { name: 'volume-v1', role: 'volume', source: { kind: 'volume', volumeId: 'v1', path: '/volumes/v1.raw', format: 'raw' }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vdb', bootIndex: null }
const config: DiskSpec = { name: 'config', role: 'config-drive', source: { kind: 'config-drive' }, deviceType: 'cdrom', bus: 'ide', deviceName: '/dev/hdd', bootIndex: null }
const files: Record<string, string> = { root: '/d/root.qcow2', 'volume-v1': '/volumes/v1.raw', config: '/d/config.iso', rescue: '/d/rescue.qcow2' }
const formats = { root: 'qcow2', 'volume-v1': 'raw', config: 'raw', rescue: 'qcow2' } as const
const sourceOf = (disk: DiskSpec) => files[disk.name]!

function launch(layout: DomainLayout): QemuLaunch {
  return {
    name: 'server-1', instanceId: '0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10', machineType: layout.machineType, acceleration: 'tcg', vcpus: 1, memoryMb: 256,
    pidFile: '/d/qemu.pid', qmpSocket: '/d/qmp.sock', consoleLog: '/d/console.log', layout, formats: { ...formats },
  }
}

function rescueSpec(mode: 'stable' | 'legacy', device: DeviceType = 'disk', bus: DiskBus = 'virtio'): RescueSpec {
  return {
    instance: { instanceId: 'i-1', name: 's', vcpus: 1, memoryMb: 256, disks: [root, volume, config], configDrive: null, imageProperties: {}, nics: [] },
    mode, rescueImage: { imageId: 'r', path: '/images/r', format: 'qcow2', properties: {} }, rescueDevice: device, rescueBus: bus,
    rescueConfigDrive: null, snapshotRoot: false,
  }
}

/** The `-device` values of an argv, in order. */
function devices(args: string[]): string[] {
  return args.flatMap((arg, i) => (args[i - 1] === '-device' ? [arg] : []))
}

describe('buildQemuArgs', () => {
  test('runs a daemonized, display-less QEMU with a pidfile, a QMP socket and the console appended to a log file', () => {
    const args = buildQemuArgs(launch(planDomainLayout([root], 'pc', sourceOf))).join(' ')
    for (const part of ['-accel tcg', '-M pc', '-m 256', '-nodefaults', '-no-user-config', '-display none', '-daemonize', '-pidfile /d/qemu.pid',
      '-qmp unix:/d/qmp.sock,server=on,wait=off', '-chardev file,id=console0,path=/d/console.log,append=on', '-serial chardev:console0',
      '-name guest=server-1', '-uuid 0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10']) {
      assert.ok(args.includes(part), `missing ${part} in ${args}`)
    }
    assert.ok(!args.includes('-no-reboot'), 'a guest reboot must reboot, not exit')
  })

  test('the normal layout puts each disk at its planned address, with a boot index only on the root', () => {
    const args = buildQemuArgs(launch(planDomainLayout([root, volume, config], 'pc', sourceOf)))
    assert.deepEqual(devices(args), [
      'virtio-blk-pci,drive=drive-root,id=disk-root,addr=0x04,bootindex=0',
      'virtio-blk-pci,drive=drive-volume-v1,id=disk-volume-v1,addr=0x05',
      'ide-cd,drive=drive-config,id=disk-config,bus=ide.0,unit=0',
    ])
    const drives = args.flatMap((arg, i) => (args[i - 1] === '-drive' ? [arg] : []))
    assert.equal(drives[0], 'if=none,id=drive-root,file=/d/root.qcow2,format=qcow2,cache=writeback,discard=unmap')
    assert.equal(drives[1], 'if=none,id=drive-volume-v1,file=/volumes/v1.raw,format=raw,cache=writeback,discard=unmap')
    assert.equal(drives[2], 'if=none,id=drive-config,file=/d/config.iso,format=raw,cache=writeback,discard=unmap,readonly=on,media=cdrom')
  })

  test('a comma in a file name is doubled, as QEMU option syntax wants', () => {
    const args = buildQemuArgs(launch(planDomainLayout([root], 'pc', () => '/d/a,b.qcow2')))
    assert.ok(args.some((a) => a.includes('file=/d/a,,b.qcow2,')))
  })

  test('a device with no known format is refused', () => {
    const l = launch(planDomainLayout([root], 'pc', sourceOf))
    assert.throws(() => buildQemuArgs({ ...l, formats: {} }), /no format for device root/)
  })

  test('resume adds -S -incoming', () => {
    const args = buildQemuArgs({ ...launch(planDomainLayout([root], 'pc', sourceOf)), incoming: 'exec:cat /d/state' })
    assert.deepEqual(args.slice(-3), ['-S', '-incoming', 'exec:cat /d/state'])
  })
})

const expectedRescueDevice: Record<MachineType, Record<string, { controller: string | null; device: string }>> = {
  pc: {
    'disk/virtio': { controller: null, device: 'virtio-blk-pci,drive=drive-rescue,id=disk-rescue,addr=0x06,bootindex=0' },
    'disk/scsi': { controller: 'virtio-scsi-pci,id=scsi0,addr=0x06', device: 'scsi-hd,drive=drive-rescue,id=disk-rescue,bus=scsi0.0,channel=0,scsi-id=0,lun=0,bootindex=0' },
    'disk/ide': { controller: null, device: 'ide-hd,drive=drive-rescue,id=disk-rescue,bus=ide.0,unit=1,bootindex=0' },
    'disk/sata': { controller: 'ahci,id=sata0,addr=0x06', device: 'ide-hd,drive=drive-rescue,id=disk-rescue,bus=sata0.0,bootindex=0' },
    'disk/usb': { controller: 'qemu-xhci,id=usb0,addr=0x06', device: 'usb-storage,drive=drive-rescue,id=disk-rescue,bus=usb0.0,port=1,bootindex=0' },
    'cdrom/scsi': { controller: 'virtio-scsi-pci,id=scsi0,addr=0x06', device: 'scsi-cd,drive=drive-rescue,id=disk-rescue,bus=scsi0.0,channel=0,scsi-id=0,lun=0,bootindex=0' },
    'cdrom/ide': { controller: null, device: 'ide-cd,drive=drive-rescue,id=disk-rescue,bus=ide.0,unit=1,bootindex=0' },
    'cdrom/sata': { controller: 'ahci,id=sata0,addr=0x06', device: 'ide-cd,drive=drive-rescue,id=disk-rescue,bus=sata0.0,bootindex=0' },
    'cdrom/usb': { controller: 'qemu-xhci,id=usb0,addr=0x06', device: 'usb-storage,drive=drive-rescue,id=disk-rescue,bus=usb0.0,port=1,bootindex=0' },
  },
  q35: {
    'disk/virtio': { controller: null, device: 'virtio-blk-pci,drive=drive-rescue,id=disk-rescue,addr=0x07,bootindex=0' },
    'disk/scsi': { controller: 'virtio-scsi-pci,id=scsi0,addr=0x07', device: 'scsi-hd,drive=drive-rescue,id=disk-rescue,bus=scsi0.0,channel=0,scsi-id=0,lun=0,bootindex=0' },
    // q35's ide is its AHCI controller: the config drive (ide) already brought sata0, and the rescue disk joins it.
    'disk/ide': { controller: null, device: 'ide-hd,drive=drive-rescue,id=disk-rescue,bus=sata0.1,bootindex=0' },
    'disk/sata': { controller: null, device: 'ide-hd,drive=drive-rescue,id=disk-rescue,bus=sata0.1,bootindex=0' },
    'disk/usb': { controller: 'qemu-xhci,id=usb0,addr=0x07', device: 'usb-storage,drive=drive-rescue,id=disk-rescue,bus=usb0.0,port=1,bootindex=0' },
    'cdrom/scsi': { controller: 'virtio-scsi-pci,id=scsi0,addr=0x07', device: 'scsi-cd,drive=drive-rescue,id=disk-rescue,bus=scsi0.0,channel=0,scsi-id=0,lun=0,bootindex=0' },
    'cdrom/ide': { controller: null, device: 'ide-cd,drive=drive-rescue,id=disk-rescue,bus=sata0.1,bootindex=0' },
    'cdrom/sata': { controller: null, device: 'ide-cd,drive=drive-rescue,id=disk-rescue,bus=sata0.1,bootindex=0' },
    'cdrom/usb': { controller: 'qemu-xhci,id=usb0,addr=0x07', device: 'usb-storage,drive=drive-rescue,id=disk-rescue,bus=usb0.0,port=1,bootindex=0' },
  },
}

const CONTROLLER = /^(virtio-scsi-pci|ahci|qemu-xhci),/

describe('buildQemuArgs for rescue layouts', () => {
  for (const machineType of ['pc', 'q35'] as const) {
    for (const [combo, expected] of Object.entries(expectedRescueDevice[machineType])) {
      const [device, bus] = combo.split('/') as [DeviceType, DiskBus]
      test(`${machineType}: stable rescue as ${device} on ${bus} keeps the originals where they were and boots the rescue device last`, () => {
        const normal = devices(buildQemuArgs(launch(planDomainLayout([root, volume, config], machineType, sourceOf))))
        const rescue = devices(buildQemuArgs(launch(planRescueLayout(rescueSpec('stable', device, bus), machineType, sourceOf))))
        const disks = (list: string[]) => list.filter((d) => !CONTROLLER.test(d))
        // The originals: same devices at the same addresses, in the same order, none with a boot index.
        assert.deepEqual(disks(rescue).slice(0, -1), disks(normal).map((d) => d.replace(/,bootindex=\d+/, '')))
        // Controllers of the normal layout keep their slots.
        for (const controller of normal.filter((d) => CONTROLLER.test(d))) assert.ok(rescue.includes(controller))
        assert.equal(rescue.at(-1), expected.device)
        if (expected.controller) assert.ok(rescue.includes(expected.controller), `missing controller ${expected.controller} in ${rescue.join(' ')}`)
      })
    }
  }

  test('legacy rescue: the rescue disk is the first virtio disk and boots, the old root is second, volumes stay off', () => {
    const args = devices(buildQemuArgs(launch(planRescueLayout(rescueSpec('legacy'), 'pc', sourceOf))))
    assert.deepEqual(args, [
      'virtio-blk-pci,drive=drive-rescue,id=disk-rescue,addr=0x04,bootindex=0',
      'virtio-blk-pci,drive=drive-root,id=disk-root,addr=0x05',
      'ide-cd,drive=drive-config,id=disk-config,bus=ide.0,unit=0',
    ])
  })

  test('a floppy goes on the ISA floppy controller through -global, with its boot index', () => {
    const layout = planRescueLayout(rescueSpec('stable', 'floppy', 'fdc'), 'pc', sourceOf)
    const args = buildQemuArgs(launch(layout))
    const globals = args.flatMap((arg, i) => (args[i - 1] === '-global' ? [arg] : []))
    assert.deepEqual(globals, ['isa-fdc.driveA=drive-rescue', 'isa-fdc.bootindexA=0'])
  })
})

describe('layoutControllers', () => {
  test('gives each controller the PCI slot the planner reserved for it', () => {
    const scsiRoot: DiskSpec = { ...root, bus: 'scsi' }
    const layout = planDomainLayout([scsiRoot, volume, { ...volume, name: 'volume-v2', bus: 'usb' }], 'pc', sourceOf)
    assert.deepEqual(layoutControllers(layout).map(deviceOption), ['virtio-scsi-pci,id=scsi0,addr=0x04', 'qemu-xhci,id=usb0,addr=0x06'])
    assert.equal(frontendDevice(layout.devices[1]!)!.props.addr, '0x05')
  })

  test('refuses a layout whose addresses were not planned in one pass', () => {
    const layout = planDomainLayout([root, volume], 'pc', sourceOf)
    layout.devices.reverse()
    assert.throws(() => layoutControllers(layout), /not planned in one pass/)
  })
})

describe('deviceIds', () => {
  test('a volume named by its uuid gets ids QEMU accepts as node names (31 characters at most), stable and distinct', async () => {
    const { deviceIds } = await import('../../../../src/virt/qemu/qemu-command-line.js')
    const a = deviceIds('volume-50a2ce79-7110-484f-918c-58b77b3d324c')
    const b = deviceIds('volume-60a2ce79-7110-484f-918c-58b77b3d324c')
    assert.ok(a.drive.length <= 31, a.drive)
    assert.notEqual(a.drive, b.drive)
    assert.deepEqual(deviceIds('volume-50a2ce79-7110-484f-918c-58b77b3d324c'), a)
    assert.deepEqual(deviceIds('root'), { drive: 'drive-root', device: 'disk-root' })
  })
})
