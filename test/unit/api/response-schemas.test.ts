import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { ServerResponse } from '../../../src/api/compute/schemas/server-responses.js'
import { FlavorResponse } from '../../../src/api/compute/schemas/flavor-responses.js'
import { HypervisorResponse } from '../../../src/api/compute/schemas/host-image-responses.js'
import { VolumeResponse } from '../../../src/api/volume/response-schemas.js'
import { ImageListResponse } from '../../../src/api/image/response-schemas.js'

/** What a route with this response schema sends for `body`. */
async function serialize(response: Record<number, unknown>, body: unknown): Promise<unknown> {
  const app = Fastify()
  app.get('/', { schema: { response } }, async () => body)
  const reply = await app.inject({ method: 'GET', url: '/' })
  await app.close()
  assert.equal(reply.statusCode, 200)
  return reply.json()
}

const links = [{ rel: 'self', href: 'http://h/compute/v2.1/servers/s' }]

test('a server keeps every view property as built and loses a stray column at any level', async () => {
  const server = {
    id: 's', name: 'vm', status: 'ACTIVE', metadata: { a: 'b' }, image: '', progress: 0, config_drive: '', locked: false,
    'OS-EXT-STS:power_state': 1, 'OS-EXT-SRV-ATTR:launch_index': 0, tags: ['t'], locked_reason: null, links,
    flavor: { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'f', extra_specs: { 'hw:cpu': '1' } },
    fault: { code: 500, created: 'c', message: 'm' }, security_groups: [{ name: 'default' }],
  }
  const sent = await serialize(ServerResponse, {
    server: { ...server, vm_state_internal: 'x', fault: { ...server.fault, traceback: 'secret' }, security_groups: [{ name: 'default', id: 7 }] },
  })
  assert.deepEqual(sent, { server })
  const older = { ...server, image: { id: 'i', links }, flavor: { id: '1', links } }
  assert.deepEqual(await serialize(ServerResponse, { server: older }), { server: older })
})

test('flavor, hypervisor and volume views lose stray columns and keep their values', async () => {
  const flavor = { id: '1', name: 'f', ram: 512, disk: 1, swap: '', vcpus: 1, links, extra_specs: { k: 'v' } }
  assert.deepEqual(await serialize(FlavorResponse, { flavor: { ...flavor, deleted_at: null } }), { flavor })
  const hypervisor = { id: 1, hypervisor_hostname: 'h', cpu_info: { arch: 'x86_64' }, service: { id: 1, host: 'h', disabled_reason: null } }
  assert.deepEqual(await serialize(HypervisorResponse, { hypervisor: { ...hypervisor, credential: 'x' } }), { hypervisor })
  const volume = { id: 'v', size: 1, bootable: 'false', metadata: { a: 'b' }, attachments: [{ id: 'v', server_id: 's', device: '/dev/vdb' }] }
  assert.deepEqual(await serialize(VolumeResponse, { volume: { ...volume, file_path: '/var/lib/x' } }), { volume })
})

test('a Glance image keeps its custom properties; the list envelope is closed', async () => {
  const image = { id: 'i', name: 'n', hw_rescue_device: 'cdrom', tags: [], size: null }
  const body = { images: [image], first: '/v2/images', schema: '/v2/schemas/images' }
  assert.deepEqual(await serialize(ImageListResponse, { ...body, debug: 1 }), body)
})
