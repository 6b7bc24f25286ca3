import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { bootServer, createImage } from '../../helpers/compute.js'

const METRICS_TOKEN = 'scrape-secret-for-tests'

/** The value of one sample line (`name{labels} value`) whose name and labels contain every part given, or 0. */
function sample(text: string, name: string, ...parts: string[]): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `) ? parts.every((p) => l.includes(p)) : false)
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

describeEachDialect('GET /metrics', (cloud) => {
  test('an admin token reads the Prometheus text: requests by service and route, tasks, agents, servers', async () => {
    const c = cloud()
    const image = await createImage(c.admin)
    await bootServer(c.demo, { imageRef: image, networks: 'none' }, '2.37')
    const res = await c.request('GET', '/metrics', { token: c.admin.token })
    assert.equal(res.status, 200, res.text)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    for (const name of ['lifeboat_http_request_duration_seconds_bucket', 'lifeboat_task_duration_seconds_count', 'lifeboat_compute_agents',
      'lifeboat_servers', 'lifeboat_tasks', 'process_resident_memory_bytes']) {
      assert.match(res.text, new RegExp(`^${name}[{ ]`, 'm'), `${name} missing`)
    }
    assert.ok(sample(res.text, 'lifeboat_http_request_duration_seconds_count', 'service="compute"', 'route="/compute/v2.1/servers"', 'method="POST"', 'status_class="2xx"') >= 1)
    assert.ok(sample(res.text, 'lifeboat_task_duration_seconds_count', 'kind="spawn"', 'outcome="done"') >= 1, res.text)
    assert.ok(sample(res.text, 'lifeboat_servers', 'state="active"') >= 1)
    assert.equal(sample(res.text, 'lifeboat_compute_agents', 'state="up"'), 1)
  })

  test('the request counter grows with requests; a raw id never becomes a label', async () => {
    const c = cloud()
    const route = ['service="compute"', 'route="/compute/v2.1/servers/:id"', 'method="GET"', 'status_class="4xx"']
    const before = sample((await c.request('GET', '/metrics', { token: c.admin.token })).text, 'lifeboat_http_request_duration_seconds_count', ...route)
    for (let i = 0; i < 3; i++) assert.equal((await c.demo.request('GET', `/compute/v2.1/servers/no-such-server-${i}`)).status, 404)
    const text = (await c.request('GET', '/metrics', { headers: { authorization: `Bearer ${c.admin.token}` } })).text
    assert.equal(sample(text, 'lifeboat_http_request_duration_seconds_count', ...route), before + 3)
    assert.doesNotMatch(text, /no-such-server/)
  })

  test('a project token is refused (403), no token is 401, the operator token is accepted', async () => {
    const c = cloud()
    assert.equal((await c.request('GET', '/metrics', { token: c.demo.token })).status, 403)
    assert.equal((await c.request('GET', '/metrics', { headers: { authorization: `Bearer ${c.demo.token}` } })).status, 403)
    assert.equal((await c.request('GET', '/metrics')).status, 401)
    assert.equal((await c.request('GET', '/metrics', { headers: { authorization: 'Bearer not-a-token' } })).status, 401)
    const scraped = await c.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    assert.equal(scraped.status, 200)
    assert.match(scraped.text, /^lifeboat_compute_agents{/m)
  })
}, { metricsToken: METRICS_TOKEN })
