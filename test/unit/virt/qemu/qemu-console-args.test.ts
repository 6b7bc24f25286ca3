import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { planDomainLayout } from '../../../../src/virt/disk-layout.js'
import { buildQemuArgs } from '../../../../src/virt/qemu/qemu-command-line.js'
import { DomainStore } from '../../../../src/virt/qemu/domain-store.js'
import type { DiskSpec } from '../../../../src/virt/virt-driver.js'

const root: DiskSpec = { name: 'root', role: 'root', source: { kind: 'image', imageId: 'img', imagePath: '/images/img', format: 'qcow2', sizeGb: 1 }, deviceType: 'disk', bus: 'virtio', deviceName: '/dev/vda', bootIndex: 0 }

describe('QEMU consoles on the command line', () => {
  test('the serial port is a unix socket QEMU serves that still appends to the console log; VNC on a unix socket with a VGA card in slot 2', () => {
    const args = buildQemuArgs({
      name: 's', instanceId: 'i-1', machineType: 'pc', acceleration: 'tcg', vcpus: 1, memoryMb: 256, pidFile: '/d/qemu.pid', qmpSocket: '/d/qmp.sock',
      consoleLog: '/d/console.log', consoleSocket: '/d/console.sock', vncSocket: '/d/vnc.sock',
      layout: planDomainLayout([root], 'pc', () => '/d/root.qcow2'), formats: { root: 'qcow2' },
    })
    const joined = args.join(' ')
    assert.ok(joined.includes('-chardev socket,id=console0,path=/d/console.sock,server=on,wait=off,logfile=/d/console.log,logappend=on -serial chardev:console0'), joined)
    assert.ok(joined.includes('-display none'), 'no window: the display is only served over VNC')
    assert.ok(joined.includes('-vnc unix:/d/vnc.sock'), joined)
    assert.ok(args.includes('VGA,id=video0,addr=0x02'), joined)
    assert.ok(args.includes('virtio-blk-pci,drive=drive-root,id=disk-root,addr=0x04,bootindex=0'), 'disks keep their planned slots')
  })

  test('every socket path stays under the 108 bytes of sun_path, however deep the state folder', () => {
    const deep = path.join(os.tmpdir(), 'x'.repeat(120))
    const paths = new DomainStore(deep).paths('0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10')
    for (const socket of [paths.qmpSocket, paths.consoleSocket, paths.vncSocket]) assert.ok(Buffer.byteLength(socket) < 108, socket)
    assert.equal(new Set([paths.qmpSocket, paths.consoleSocket, paths.vncSocket]).size, 3)
    const shallow = new DomainStore('/s').paths('i-1')
    assert.deepEqual([shallow.consoleSocket, shallow.vncSocket], ['/s/domains/i-1/console.sock', '/s/domains/i-1/vnc.sock'])
    assert.equal(fs.existsSync(deep), false, 'paths() creates nothing')
  })
})
