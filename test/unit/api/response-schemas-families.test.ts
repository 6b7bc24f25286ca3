import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import { InstanceActionResponse, ServerActionResponse } from '../../../src/api/compute/schemas/server-subresource-responses.js'
import { QuotaSetDetailResponse } from '../../../src/api/compute/schemas/project-responses.js'
import { VolumeActionResponse, VolumeQuotaSetResponse } from '../../../src/api/volume/misc-response-schemas.js'
import { JsonSchemaDocumentResponse, VersionsResponse } from '../../../src/api/image/response-schemas.js'
import { RoleAssignmentListResponse, TokenResponse } from '../../../src/api/identity/response-schemas.js'
import { AllocationCandidatesResponse, ProviderResponse } from '../../../src/api/placement/response-schemas.js'
import { LeaseResponseSchema } from '../../../src/agent-api/index.js'

/** What a route with this response schema sends for `body` with `status`. */
async function serialize(response: Record<number, unknown>, body: unknown, status = 200): Promise<unknown> {
  const app = Fastify()
  app.get('/', { schema: { response } }, async (_req, reply) => reply.status(status).send(body))
  const reply = await app.inject({ method: 'GET', url: '/' })
  await app.close()
  assert.equal(reply.statusCode, status)
  return reply.json()
}

test('compute: an instance action with events, a quota detail and action answers lose stray columns', async () => {
  const event = { event: 'compute_rescue_instance', start_time: 't', finish_time: null, result: 'Success', traceback: null, hostId: 'h', host: 'c1', details: null }
  const action = { action: 'rescue', instance_uuid: 's', message: null, project_id: 'p', request_id: 'req-1', start_time: 't', user_id: 'u', updated_at: 't', events: [event] }
  const sent = await serialize(InstanceActionResponse, { instanceAction: { ...action, id: 7, deleted: 0, events: [{ ...event, action_id: 7 }] } })
  assert.deepEqual(sent, { instanceAction: action })
  const quota = { id: 'p', instances: { limit: 10, in_use: 1, reserved: 0 }, cores: { limit: -1, in_use: 0, reserved: 0 } }
  assert.deepEqual(await serialize(QuotaSetDetailResponse, { quota_set: { ...quota, project_row_id: 3, ram: { limit: 1, in_use: 0, reserved: 0, hard_limit: 1 } } }),
    { quota_set: { ...quota, ram: { limit: 1, in_use: 0, reserved: 0 } } })
  assert.deepEqual(await serialize(ServerActionResponse, { adminPass: 'pw', rescue_image: 'i' }), { adminPass: 'pw' })
  assert.deepEqual(await serialize(ServerActionResponse, { image_id: 'i', task_id: 't' }, 202), { image_id: 'i' })
})

test('volume: a quota set with usage and connection info lose stray columns', async () => {
  const quotaSet = { id: 'p', volumes: { limit: 10, in_use: 1, reserved: 0 }, gigabytes: 1000 }
  assert.deepEqual(await serialize(VolumeQuotaSetResponse, { quota_set: { ...quotaSet, deleted_at: null } }), { quota_set: quotaSet })
  const info = { driver_volume_type: 'file', data: { name: 'v', format: 'qcow2' } }
  assert.deepEqual(await serialize(VolumeActionResponse, { connection_info: { ...info, credential: 'x' } }), { connection_info: info })
})

test('image: the versions list is closed; a JSON-schema document stays whole', async () => {
  const versions = { versions: [{ id: 'v2.17', status: 'CURRENT', links: [{ rel: 'self', href: 'http://h/image/v2/' }] }] }
  assert.deepEqual(await serialize(VersionsResponse, { versions: [{ ...versions.versions[0], internal: 1 }] }, 300), versions)
  const schema = { name: 'image', properties: { id: { type: 'string', pattern: '^x$' } }, additionalProperties: { type: 'string' }, links: [] }
  assert.deepEqual(await serialize(JsonSchemaDocumentResponse, schema), schema)
})

test('identity: a token and role assignments lose stray columns', async () => {
  const token = {
    methods: ['password'], user: { domain: { id: 'default', name: 'Default' }, id: 'u', name: 'demo', password_expires_at: null },
    audit_ids: ['a'], expires_at: 'e', issued_at: 'i', project: { domain: { id: 'default', name: 'Default' }, id: 'p', name: 'demo' },
    is_domain: false, roles: [{ id: 'r', name: 'member' }],
    catalog: [{ id: 's', type: 'compute', name: 'nova', endpoints: [{ id: 'e', interface: 'public', region: 'r', region_id: 'r', url: 'http://h' }] }],
  }
  const stray = { ...token, id_digest: 'x', user: { ...token.user, enabled: 1 } }
  assert.deepEqual(await serialize(TokenResponse, { token: stray }, 201), { token })
  const assignment = { role: { id: 'r' }, user: { id: 'u' }, scope: { project: { id: 'p' } }, links: { assignment: 'http://h/a' } }
  const list = { role_assignments: [assignment], links: { self: 'http://h/x', previous: null, next: null } }
  assert.deepEqual(await serialize(RoleAssignmentListResponse, { ...list, role_assignments: [{ ...assignment, inherited: false }] }), list)
})

test('placement: a provider and allocation candidates lose stray columns', async () => {
  const provider = { uuid: 'u', name: 'n', generation: 1, links: [{ rel: 'self', href: '/placement/resource_providers/u' }], parent_provider_uuid: null, root_provider_uuid: 'u' }
  assert.deepEqual(await serialize(ProviderResponse, { ...provider, id: 5, updated_at: 't' }), provider)
  const candidates = {
    allocation_requests: [{ allocations: { u: { resources: { VCPU: 1 } } }, mappings: { '': ['u'] } }],
    provider_summaries: { u: { resources: { VCPU: { capacity: 4, used: 0 } }, traits: ['HW_CPU_X86_AVX'], parent_provider_uuid: null, root_provider_uuid: 'u' } },
  }
  const older = { allocation_requests: [{ allocations: [{ resource_provider: { uuid: 'u' }, resources: { VCPU: 1 } }] }], provider_summaries: {} }
  const stray = structuredClone(candidates) as { provider_summaries: { u: Record<string, unknown> } }
  stray.provider_summaries.u.internal_id = 9
  assert.deepEqual(await serialize(AllocationCandidatesResponse, stray), candidates)
  assert.deepEqual(await serialize(AllocationCandidatesResponse, older), older)
})

test('agent API: a leased task keeps the contract and loses what it does not name', async () => {
  const task = {
    id: 't', instanceUuid: 's', attempts: 1, task: { kind: 'reboot', rebootType: 'HARD' }, shutdownTimeoutSeconds: 60,
    instance: { instanceId: 's', name: 'vm', vcpus: 1, memoryMb: 512, disks: [], configDrive: null, imageProperties: { hw_rescue_bus: 'usb' }, nics: [] },
  }
  const stray = { ...task, leased_by: 'c1', task: { ...task.task, payload_json: '{}' }, instance: { ...task.instance, host: 'c1' } }
  assert.deepEqual(await serialize({ 200: LeaseResponseSchema }, { tasks: [stray] }), { tasks: [task] })
})
