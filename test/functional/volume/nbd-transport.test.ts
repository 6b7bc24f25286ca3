import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { DIALECTS, startTestCloud, type TestCloud } from '../../helpers/cloud.js'
import { freePort } from '../../helpers/lifeboat-process.js'
import { POSTGRES_AVAILABLE } from '../../helpers/postgres.js'
import { skipUnless } from '../../helpers/tiers.js'
import { onPath } from '../../../src/virt/driver-factory.js'
import { createAvailableVolume, v3 } from './volume-helpers.js'

const CONNECTOR = { host: 'lifeboat-compute-2', mountpoint: '/dev/vdb', platform: 'x86_64', os_type: 'linux' }

/** Whether qemu-img can open an NBD URL (the export is served). */
function served(url: string): boolean {
  try {
    execFileSync('qemu-img', ['info', '--output=json', url], { stdio: 'pipe', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

const qsdSkip = skipUnless(onPath('qemu-storage-daemon') && onPath('qemu-img'), 'qemu-storage-daemon', 'apt-get install qemu-system-common qemu-utils')

for (const dialect of DIALECTS) {
  const skip = qsdSkip || (dialect === 'postgres' ? skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'bash .ci/start-postgres') : false)
  describe(`${dialect}: volume service with LIFEBOAT_VOLUME_TRANSPORT=nbd`, { skip }, () => {
    let cloud: TestCloud
    let port = 0
    before(async () => {
      port = await freePort()
      cloud = await startTestCloud(dialect, { volumeTransport: 'nbd', nbdPort: port })
    })
    after(async () => {
      await cloud?.close()
    })

    test('attachment connection info is Cinder\'s network-disk shape: driver_volume_type nbd, name, hosts, ports', async () => {
      const demo = cloud.demo
      const volume = await createAvailableVolume(demo, { size: 1 })
      const created = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID(), connector: CONNECTOR } }, microversion: '3.54' })
      assert.equal(created.status, 200)
      const info = created.body.attachment.connection_info
      assert.equal(info.driver_volume_type, 'nbd')
      assert.match(info.name, new RegExp(`^volume-${volume.id}-[0-9a-f]{32}$`))
      assert.deepEqual({ hosts: info.hosts, ports: info.ports, volume_id: info.volume_id, attachment_id: info.attachment_id, access_mode: info.access_mode },
        { hosts: ['127.0.0.1'], ports: [String(port)], volume_id: volume.id, attachment_id: created.body.attachment.id, access_mode: 'rw' })
      assert.equal(info.path, undefined, 'no file path: the host needs no shared folder')

      const init = await demo.request('POST', `${v3(demo)}/volumes/${volume.id}/action`, { body: { 'os-initialize_connection': { connector: CONNECTOR } } })
      assert.equal(init.status, 200)
      assert.deepEqual({ type: init.body.connection_info.driver_volume_type, name: init.body.connection_info.data.name }, { type: 'nbd', name: info.name })
    })

    test('a volume a server uses is served at its nbd:// URL until its last attachment is gone; a restart exports it again', async () => {
      const demo = cloud.demo
      const volume = await createAvailableVolume(demo, { size: 1 })
      const created = await demo.request('POST', `${v3(demo)}/attachments`, { body: { attachment: { volume_uuid: volume.id, instance_uuid: randomUUID(), connector: CONNECTOR } }, microversion: '3.54' })
      const volumes = cloud.running.services.volumes
      const target = await volumes.volumeTarget((await volumes.findVolume(volume.id))!)
      assert.equal(target.format, 'raw', 'the daemon opens the qcow2; QEMU sees raw data')
      assert.equal(target.path, `nbd://127.0.0.1:${port}/${created.body.attachment.connection_info.name}`)
      assert.equal(served(target.path), true)
      assert.equal(served(`nbd://127.0.0.1:${port}/volume-${volume.id}`), false, 'the bare volume name is not an export')

      // The daemon's exports die with the process; a start exports the attached volumes again.
      await cloud.running.services.volumes.reexportAttached()
      assert.equal(served(target.path), true)

      const deleted = await demo.request('DELETE', `${v3(demo)}/attachments/${created.body.attachment.id}`, { microversion: '3.54' })
      assert.equal(deleted.status, 200)
      assert.equal(served(target.path), false, 'a detached volume is no longer exported')
      assert.equal((await volumes.reexportAttached()).includes(volume.id), false)
    })
  })
}
