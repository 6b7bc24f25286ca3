import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig } from '../../../src/config.js'
import { exportSecret, NbdVolumeExports, type ExportServer } from '../../../src/services/volume/volume-exports.js'
import { nbdPublicHost } from '../../../src/volume-storage.js'

/** An export server that records what it is asked. */
function recordingServer(): ExportServer & { exported: Map<string, unknown>; calls: string[] } {
  const exported = new Map<string, unknown>()
  const calls: string[] = []
  return {
    exported, calls,
    async export(name, file) { calls.push(`export ${name}`); exported.set(name, file) },
    async unexport(name) { calls.push(`unexport ${name}`); exported.delete(name) },
  }
}

const volume = { id: '6b0c4c3e-1f1e-4b0e-9a59-6a2f3e0e7d11', backing_path: '/data/volumes/6b0c.qcow2', backing_format: 'qcow2' }

describe('NBD volume exports', () => {
  const secret = Buffer.alloc(32, 7)

  test('export names are the volume id and an HMAC under the secret: stable, and different under another secret', () => {
    const a = new NbdVolumeExports(recordingServer(), { host: '192.0.2.1', port: 10809, secret })
    const name = a.target(volume.id).export
    assert.match(name, new RegExp(`^volume-${volume.id}-[0-9a-f]{32}$`))
    assert.equal(new NbdVolumeExports(recordingServer(), { host: 'x', port: 1, secret }).target(volume.id).export, name)
    assert.notEqual(new NbdVolumeExports(recordingServer(), { host: 'x', port: 1, secret: Buffer.alloc(32, 8) }).target(volume.id).export, name)
  })

  test('connection data has the network-disk shape Nova\'s LibvirtNetVolumeDriver reads: name, hosts, ports', () => {
    const exports = new NbdVolumeExports(recordingServer(), { host: '192.0.2.1', port: 10809, secret })
    assert.deepEqual(exports.connectionData(volume as never), {
      name: exports.target(volume.id).export, hosts: ['192.0.2.1'], ports: ['10809'], volume_id: volume.id, access_mode: 'rw', auth_enabled: false,
    })
  })

  test('ensure exports the file in its own format and answers the nbd:// URL; remove stops the export', async () => {
    const server = recordingServer()
    const exports = new NbdVolumeExports(server, { host: '192.0.2.1', port: 10809, secret })
    const name = exports.target(volume.id).export
    assert.equal(await exports.ensure(volume), `nbd://192.0.2.1:10809/${name}`)
    assert.deepEqual(server.exported.get(name), { path: volume.backing_path, format: 'qcow2' })
    await exports.remove(volume.id)
    assert.deepEqual(server.calls, [`export ${name}`, `unexport ${name}`])
  })

  test('the secret is made once (0600) and read back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-nbd-key-'))
    try {
      const first = exportSecret(dir)
      assert.equal(first.length, 32)
      assert.equal(fs.statSync(path.join(dir, 'nbd-export.key')).mode & 0o777, 0o600)
      assert.deepEqual(exportSecret(dir), first)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the volume transport options', () => {
  test('file is the default; nbd listens on loopback port 10809 unless told otherwise', () => {
    const config = loadConfig({})
    assert.equal(config.volumeTransport, 'file')
    assert.equal(config.nbdAddress, '127.0.0.1')
    assert.equal(config.nbdPort, 10809)
  })

  test('an unknown transport or a bad port is refused', () => {
    assert.throws(() => loadConfig({ volumeTransport: 'iscsi' as never }), /volume transport must be file or nbd/)
    assert.throws(() => loadConfig({ nbdPort: 70000 }), /LIFEBOAT_NBD_PORT/)
  })

  test('agents dial the public host, else the listen address, else (every address) the public URL\'s host', () => {
    assert.equal(nbdPublicHost(loadConfig({ nbdAddress: '10.1.0.5' })), '10.1.0.5')
    assert.equal(nbdPublicHost(loadConfig({ nbdAddress: '0.0.0.0', publicUrl: 'https://cloud.example:8774' })), 'cloud.example')
    assert.equal(nbdPublicHost(loadConfig({ nbdAddress: '0.0.0.0', nbdPublicHost: 'storage.example' })), 'storage.example')
  })
})
