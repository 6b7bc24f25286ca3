import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { DomainStore } from '../../../../src/virt/qemu/domain-store.js'

describe('DomainStore', () => {
  test('keeps each domain in its own folder, with a record found again by a new store', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-store-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const store = new DomainStore(dir)
    const paths = store.paths('i-1')
    assert.equal(paths.dir, path.join(dir, 'domains', 'i-1'))
    assert.equal(paths.qmpSocket, path.join(dir, 'domains', 'i-1', 'qmp.sock'))
    assert.equal(paths.disk('root'), path.join(dir, 'domains', 'i-1', 'root.qcow2'))
    const spec = { instanceId: 'i-1', name: 's', vcpus: 1, memoryMb: 256, disks: [], configDrive: null, imageProperties: {}, nics: [] }
    store.save({ instanceId: 'i-1', spec, layout: { machineType: 'pc', devices: [] }, formats: {}, argv: ['-M', 'pc'], controllers: {}, rescued: false, rescue: null, suspended: false })
    assert.deepEqual(new DomainStore(dir).list().map((r) => [r.instanceId, r.argv]), [['i-1', ['-M', 'pc']]])
    new DomainStore(dir).remove('i-1')
    assert.equal(fs.existsSync(paths.dir), false)
  })

  test('remove with kept files (preserve_ephemeral) deletes everything else of the domain', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-store-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    const store = new DomainStore(dir)
    const paths = store.prepare('i-2')
    for (const file of [paths.disk('root'), paths.disk('ephemeral0'), paths.disk('swap'), paths.consoleLog, paths.configDrive]) fs.writeFileSync(file, 'x')
    store.remove('i-2', [paths.disk('ephemeral0')])
    assert.deepEqual(fs.readdirSync(paths.dir), ['ephemeral0.qcow2'])
  })

  test('a QMP socket path too long for a unix socket moves under the temp folder, the same for every store', () => {
    const deep = path.join(os.tmpdir(), 'x'.repeat(90))
    const a = new DomainStore(deep).paths('0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10').qmpSocket
    assert.ok(Buffer.byteLength(a) <= 100)
    assert.ok(a.startsWith(path.join(os.tmpdir(), 'lifeboat-qmp')))
    assert.equal(new DomainStore(deep).paths('0b7e0f5e-8a53-4f8e-9d5f-2f4f3c1c9a10').qmpSocket, a)
  })

  test('refuses instance ids that could escape the state folder', () => {
    assert.throws(() => new DomainStore('/tmp/x').paths('../etc'), /bad instance id/)
  })
})
