import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isNbdUrl, nbdBlockdev, nbdUrl, parseNbdUrl } from '../../../../src/util/nbd-url.js'
import { driveOption, fileOptions } from '../../../../src/virt/qemu/qemu-command-line.js'
import { blockdevFile } from '../../../../src/virt/qemu/qemu-volumes.js'
import { exportCommands, exportIds, storageDaemonArgs } from '../../../../src/virt/qemu/storage-daemon.js'
import type { PlannedDevice } from '../../../../src/virt/virt-driver.js'

const target = { host: '192.0.2.10', port: 10809, export: 'volume-v1-0123456789abcdef0123456789abcdef' }

describe('nbd:// URLs', () => {
  test('a target round-trips through its URL, IPv6 hosts in brackets', () => {
    assert.equal(nbdUrl(target), 'nbd://192.0.2.10:10809/volume-v1-0123456789abcdef0123456789abcdef')
    assert.deepEqual(parseNbdUrl(nbdUrl(target)), target)
    const v6 = { ...target, host: 'fd00::1' }
    assert.equal(nbdUrl(v6), `nbd://[fd00::1]:10809/${target.export}`)
    assert.deepEqual(parseNbdUrl(nbdUrl(v6)), v6)
  })

  test('file paths and URLs without an export are not NBD targets', () => {
    assert.equal(parseNbdUrl('/var/lib/lifeboat/volumes/v1.qcow2'), null)
    assert.equal(isNbdUrl('/var/lib/lifeboat/volumes/v1.qcow2'), false)
    assert.equal(parseNbdUrl('nbd://192.0.2.10:10809/'), null)
    assert.equal(parseNbdUrl('nbd://192.0.2.10/x')?.port, 10809, 'the NBD port is the default')
  })

  test('the blockdev options are QEMU\'s BlockdevOptionsNbd', () => {
    assert.deepEqual(nbdBlockdev(target), { driver: 'nbd', server: { type: 'inet', host: '192.0.2.10', port: '10809' }, export: target.export, 'reconnect-delay': 30 })
  })
})

describe('the QEMU driver opens a volume over NBD with QEMU\'s own client', () => {
  const device = (source: string): PlannedDevice => ({ name: 'volume-v1', role: 'volume', deviceType: 'disk', bus: 'virtio', address: 'pci:0x05', bootIndex: null, guestName: 'vdb', source, readOnly: false })

  test('a file is file=', () => {
    assert.deepEqual(fileOptions('/volumes/v1.raw'), ['file=/volumes/v1.raw'])
    assert.equal(driveOption(device('/volumes/v1.raw'), 'raw'), 'if=none,id=drive-volume-v1,file=/volumes/v1.raw,format=raw,cache=writeback,discard=unmap')
  })

  test('an nbd:// source is a raw drive over file.driver=nbd, server and export as structured options, reconnecting after a daemon restart', () => {
    assert.equal(
      driveOption(device(nbdUrl(target)), 'raw'),
      `if=none,id=drive-volume-v1,file.driver=nbd,file.server.type=inet,file.server.host=192.0.2.10,file.server.port=10809,file.export=${target.export},file.reconnect-delay=30,format=raw,cache=writeback,discard=unmap`,
    )
  })

  test('hot-plug (blockdev-add) puts the NBD client under the format node', () => {
    assert.deepEqual(blockdevFile(nbdUrl(target)), nbdBlockdev(target))
    assert.deepEqual(blockdevFile('/volumes/v1.raw'), { driver: 'file', filename: '/volumes/v1.raw' })
  })
})

describe('qemu-storage-daemon', () => {
  test('its command line: a QMP monitor on a unix socket, an NBD server on the listen address, a pid file', () => {
    assert.deepEqual(storageDaemonArgs({ runDir: '/data/nbd', listenHost: '0.0.0.0', listenPort: 10809 }), [
      '--chardev', 'socket,id=qmp0,path=/data/nbd/qmp.sock,server=on,wait=off',
      '--monitor', 'chardev=qmp0',
      '--nbd-server', 'addr.type=inet,addr.host=0.0.0.0,addr.port=10809',
      '--pidfile', '/data/nbd/qemu-storage-daemon.pid',
    ])
  })

  test('an export is a format node over the file and a writable NBD export of it, ids within QEMU\'s 31 characters', () => {
    const ids = exportIds(target.export)
    assert.ok(ids.node.length <= 31 && ids.id.length <= 31)
    assert.notEqual(ids.node, exportIds('volume-v2').node)
    assert.deepEqual(exportCommands(target.export, { path: '/data/volumes/v1.qcow2', format: 'qcow2' }), [
      { command: 'blockdev-add', args: { 'node-name': ids.node, driver: 'qcow2', discard: 'unmap', file: { driver: 'file', filename: '/data/volumes/v1.qcow2', discard: 'unmap' } } },
      { command: 'block-export-add', args: { type: 'nbd', id: ids.id, 'node-name': ids.node, name: target.export, writable: true } },
    ])
  })
})
