import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js'
import { routesOf, type RouteEntry } from '../../../src/api/common/route-table.js'

/**
 * The rule of issue 12: every route that answers a JSON body goes through a
 * response schema for each 2xx status it can answer, so the serializer writes
 * only the properties the schema names and a stray column can never reach a
 * client. The route table is recorded by an onRoute hook installed before any
 * plugin registers (src/api/common/route-table.ts). The rule does not depend
 * on the database, so one SQLite cloud is enough.
 */

/** Cinder's routes exist twice, under `/v3/{project_id}` and (3.67+) `/v3`: one entry covers both. */
const key = (r: Pick<RouteEntry, 'method' | 'url'>) => `${r.method} ${r.url.replace('/volume/v3/:project_id/', '/volume/v3/')}`

/** Routes that never answer a JSON body (and why): empty 2xx answers, HEAD, bytes, text. */
const NO_JSON_BODY: Record<string, string> = {
  'GET /metrics': 'the Prometheus text format',
  // The web dashboard (src/api/dashboard): its page and assets
  'GET /dashboard': 'the dashboard page: HTML',
  'GET /dashboard/:file': 'the dashboard assets: JavaScript, CSS, text',
  // Keystone
  'HEAD /identity/v3/auth/tokens': 'HEAD: 200 without a body',
  'DELETE /identity/v3/auth/tokens': '204',
  'DELETE /identity/v3/projects/:id': '204',
  'DELETE /identity/v3/users/:id': '204',
  'DELETE /identity/v3/roles/:id': '204',
  'PUT /identity/v3/projects/:projectId/users/:userId/roles/:roleId': '204',
  'HEAD /identity/v3/projects/:projectId/users/:userId/roles/:roleId': 'HEAD: 204',
  'GET /identity/v3/projects/:projectId/users/:userId/roles/:roleId': '204 (a check)',
  'DELETE /identity/v3/projects/:projectId/users/:userId/roles/:roleId': '204',
  // Glance
  'DELETE /image/v2/images/:id': '204',
  'PUT /image/v2/images/:id/tags/:tag': '204',
  'DELETE /image/v2/images/:id/tags/:tag': '204',
  'POST /image/v2/images/:id/actions/:action': '204',
  'PUT /image/v2/images/:id/file': 'image data upload: 204',
  'GET /image/v2/images/:id/file': 'image data download: octet-stream bytes, or 204 without data',
  'DELETE /image/v2/images/:id/members/:memberId': '204',
  // Cinder
  'DELETE /volume/v3/volumes/:id': '202 without a body',
  'DELETE /volume/v3/volumes/:id/metadata/:key': '200 without a body, as Cinder',
  'DELETE /volume/v3/snapshots/:id': '202 without a body',
  'POST /volume/v3/snapshots/:id/action': 'os-force_delete: 202 without a body',
  'POST /volume/v3/attachments/:id/action': 'os-complete: 204',
  'DELETE /volume/v3/os-quota-sets/:id': '200 without a body, as Cinder',
  // Network service and Nova's network proxies (issue 13)
  'DELETE /compute/v2.1/os-floating-ips/:id': '202 without a body',
  'DELETE /compute/v2.1/os-aggregates/:id': '200 without a body, as Nova',
  'DELETE /compute/v2.1/servers/:id/os-interface/:portId': '202 without a body',
  'DELETE /compute/v2.1/servers/:id/migrations/:mid': '202 without a body (abort, as Nova)',
  'POST /compute/v2.1/servers/:id/migrations/:mid/action': '202 without a body (force_complete, as Nova)',
  'DELETE /network/v2.0/floatingips/:id': '204 without a body',
  'DELETE /network/v2.0/floatingips/:id/tags': '204 without a body',
  'DELETE /network/v2.0/floatingips/:id/tags/:tag': '204 without a body',
  'DELETE /network/v2.0/networks/:id': '204 without a body',
  'DELETE /network/v2.0/networks/:id/tags': '204 without a body',
  'DELETE /network/v2.0/networks/:id/tags/:tag': '204 without a body',
  'DELETE /network/v2.0/ports/:id': '204 without a body',
  'DELETE /network/v2.0/ports/:id/tags': '204 without a body',
  'DELETE /network/v2.0/ports/:id/tags/:tag': '204 without a body',
  'DELETE /network/v2.0/quotas/:project_id': '204 without a body',
  'DELETE /network/v2.0/routers/:id': '204 without a body',
  'DELETE /network/v2.0/routers/:id/tags': '204 without a body',
  'DELETE /network/v2.0/routers/:id/tags/:tag': '204 without a body',
  'DELETE /network/v2.0/security-group-rules/:id': '204 without a body',
  'DELETE /network/v2.0/security-groups/:id': '204 without a body',
  'DELETE /network/v2.0/security-groups/:id/tags': '204 without a body',
  'DELETE /network/v2.0/security-groups/:id/tags/:tag': '204 without a body',
  'DELETE /network/v2.0/subnets/:id': '204 without a body',
  'DELETE /network/v2.0/subnets/:id/tags': '204 without a body',
  'DELETE /network/v2.0/subnets/:id/tags/:tag': '204 without a body',
  'GET /network/v2.0/floatingips/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'GET /network/v2.0/networks/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'GET /network/v2.0/ports/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'GET /network/v2.0/routers/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'GET /network/v2.0/security-groups/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'GET /network/v2.0/subnets/:id/tags/:tag': '204 without a body (tag exists), as Neutron',
  'PUT /network/v2.0/floatingips/:id/tags/:tag': '201 without a body, as Neutron',
  'PUT /network/v2.0/networks/:id/tags/:tag': '201 without a body, as Neutron',
  'PUT /network/v2.0/ports/:id/tags/:tag': '201 without a body, as Neutron',
  'PUT /network/v2.0/routers/:id/tags/:tag': '201 without a body, as Neutron',
  'PUT /network/v2.0/security-groups/:id/tags/:tag': '201 without a body, as Neutron',
  'PUT /network/v2.0/subnets/:id/tags/:tag': '201 without a body, as Neutron',
  // Placement (its 405 answers are `errorsOnly` routes)
  'DELETE /placement/resource_providers/:uuid': '204',
  'DELETE /placement/resource_providers/:uuid/inventories': '204',
  'DELETE /placement/resource_providers/:uuid/inventories/:rc': '204',
  'GET /placement/traits/:name': '204 (a check)',
  'PUT /placement/traits/:name': '201 or 204 without a body',
  'DELETE /placement/traits/:name': '204',
  'DELETE /placement/resource_providers/:uuid/traits': '204',
  'POST /placement/resource_classes': '201 without a body',
  'DELETE /placement/resource_classes/:name': '204',
  'PUT /placement/allocations/:consumer': '204',
  'DELETE /placement/allocations/:consumer': '204',
  'POST /placement/allocations': '204',
  'POST /placement/reshaper': '204',
  // Nova
  'DELETE /compute/v2.1/flavors/:id': '202 without a body',
  'DELETE /compute/v2.1/flavors/:id/os-extra_specs/:key': '200 without a body, as Nova',
  'DELETE /compute/v2.1/os-keypairs/:name': '202 or 204 without a body',
  'DELETE /compute/v2.1/os-quota-sets/:project_id': '202 without a body',
  'DELETE /compute/v2.1/os-security-groups/:id': '202 without a body',
  'DELETE /compute/v2.1/os-server-groups/:id': '204 without a body',
  'DELETE /compute/v2.1/os-security-group-rules/:id': '202 without a body',
  'DELETE /compute/v2.1/images/:id': '204',
  'DELETE /compute/v2.1/images/:id/metadata/:key': '204',
  'DELETE /compute/v2.1/servers/:id': '204',
  'DELETE /compute/v2.1/servers/:id/os-volume_attachments/:volumeId': '202 without a body',
  'DELETE /compute/v2.1/servers/:id/metadata/:key': '204',
  'DELETE /compute/v2.1/servers/:id/tags': '204',
  'GET /compute/v2.1/servers/:id/tags/:tag': '204 (a check)',
  'PUT /compute/v2.1/servers/:id/tags/:tag': '201 or 204 without a body',
  'DELETE /compute/v2.1/servers/:id/tags/:tag': '204',
  // The agent API
  'POST /agent/v1/heartbeat': '204',
  'POST /agent/v1/tasks/:id/events': '204',
  'POST /agent/v1/tasks/:id/task-state': '204',
  'POST /agent/v1/tasks/:id/finish': '204',
  'POST /agent/v1/instances/:id/power-state': '204',
  'GET /agent/v1/images/:id/file': 'image data download: octet-stream bytes',
  'PUT /agent/v1/images/:id/file': 'image data upload: 204',
}

/** Routes whose JSON answers use other statuses than 200 (or several): each must have a schema. */
const STATUSES: Record<string, string[]> = {
  'GET /identity': ['300'],
  'POST /identity/v3/auth/tokens': ['201'],
  'POST /identity/v3/projects': ['201'],
  'POST /identity/v3/users': ['201'],
  'POST /identity/v3/roles': ['201'],
  'GET /image': ['300'],
  'POST /image/v2/images': ['201'],
  'GET /volume': ['300'],
  'POST /volume/v3/volumes': ['202'],
  'POST /volume/v3/snapshots': ['202'],
  'POST /volume/v3/volumes/:id/action': ['200'],
  'POST /placement/resource_providers/:uuid/inventories': ['201'],
  'POST /compute/v2.1/servers': ['202'],
  'POST /compute/v2.1/servers/:id/action': ['200', '202'],
  'POST /compute/v2.1/os-keypairs': ['200', '201'],
}

// 2xx, or 300 for the version lists Keystone, Glance and Cinder answer with Multiple Choices.
const hasSuccessSchema = (r: RouteEntry) => r.responseStatuses.some((s) => /^(2(\d\d|xx)|300)$/.test(s))

describe('sqlite: every route answers JSON through a response schema', () => {
  let cloud: TestCloud | undefined
  let routes: readonly RouteEntry[] = []
  before(async () => {
    cloud = await startTestCloud('sqlite')
    routes = routesOf(cloud.running.app)
  })
  after(async () => {
    await cloud?.close()
  })

  test('the route table holds every service', () => {
    for (const prefix of ['/identity/v3/', '/image/v2/', '/volume/v3/', '/placement/', '/compute/v2.1/', '/agent/v1/']) {
      assert.ok(routes.some((r) => r.url.startsWith(prefix)), `no route under ${prefix}`)
    }
  })

  test('each route with a JSON body has a response schema for a success status', () => {
    const missing = routes.filter((r) => !r.errorsOnly && !(key(r) in NO_JSON_BODY) && !hasSuccessSchema(r)).map(key)
    assert.deepEqual(missing, [], 'add a response schema (closed objects, see src/api/volume/response-schemas.ts) or, for a route without a JSON body, an entry in NO_JSON_BODY')
  })

  test('routes answering other statuses have a schema for each of them', () => {
    for (const [route, statuses] of Object.entries(STATUSES)) {
      const entry = routes.find((r) => key(r) === route)
      assert.ok(entry, `${route} is not registered`)
      for (const status of statuses) assert.ok(entry.responseStatuses.includes(status), `${route} has no response schema for ${status}`)
    }
  })

  test('a stray property a service adds to what a route returns never reaches the client', async () => {
    const c = cloud!
    // Routes that pass a service's object through: Cinder's quota set, Placement's consumer allocations.
    const quotas = c.running.services.volumes.quotas
    const show = quotas.show.bind(quotas)
    quotas.show = async (...args) => ({ ...(await show(...args)), stray_column: 1 })
    const placement = c.running.services.placement
    placement.getConsumerAllocations = async () => ({ allocations: { rp: { generation: 1, resources: { VCPU: 1 }, stray_column: 1 } as never }, consumer: null })
    const quotaSet = await c.demo.request('GET', `/volume/v3/${c.demo.projectId}/os-quota-sets/${c.demo.projectId}`)
    assert.equal(quotaSet.status, 200, quotaSet.text)
    assert.equal(quotaSet.body.quota_set.volumes, 10)
    assert.doesNotMatch(quotaSet.text, /stray_column/)
    const allocations = await c.admin.request('GET', '/placement/allocations/5c2d6f6e-7a55-4d2a-9d0e-1a8c5d3c6b11')
    assert.equal(allocations.status, 200, allocations.text)
    assert.deepEqual(allocations.body, { allocations: { rp: { generation: 1, resources: { VCPU: 1 } } } })
  })

  test('the allowlist names only registered routes', () => {
    const known = new Set(routes.map(key))
    assert.deepEqual(Object.keys(NO_JSON_BODY).filter((route) => !known.has(route)), [])
  })
})
