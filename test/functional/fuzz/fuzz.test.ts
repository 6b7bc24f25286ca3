import assert from 'node:assert/strict'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js'
import { bootServer, createImage, createVolume, waitForDeleted } from '../../helpers/compute.js'
import { parseRouteTree, requestArb, type FamilySpec, type FuzzRequest, type RouteShape } from './fuzz-requests.js'

// A fixed seed in CI (reproducible failures), a fresh one elsewhere (more ground covered); printed either way.
const SEED = process.env.LIFEBOAT_FUZZ_SEED ? Number(process.env.LIFEBOAT_FUZZ_SEED) : process.env.CI ? 20261204 : Math.floor(Math.random() * 2 ** 31)
const RUNS_PER_FAMILY = 200
/** Stops a family early if the machine is slow: the test bounds its time, not its assertions. */
const FAMILY_TIME_LIMIT_MS = 15_000

interface Sent { request: FuzzRequest; status: number; text: string }

/**
 * Sends one request over its own raw connection (so that nothing the client
 * library refuses or expects gets in the way) and reads the status line.
 * A connection error or a 20 s silence counts as a 599: the server broke or stalled.
 */
function send(base: URL, request: FuzzRequest): Promise<Sent> {
  return new Promise((resolve) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8')
    const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: ${base.host}`, 'connection: close']
    for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`)
    if (body) lines.push(`content-length: ${body.length}`)
    const socket = net.connect(Number(base.port), base.hostname)
    const chunks: Buffer[] = []
    let done = false
    const finish = (status: number, text: string) => {
      if (done) return
      done = true
      socket.destroy()
      resolve({ request, status, text })
    }
    socket.setTimeout(20_000, () => finish(599, 'timed out'))
    // write, not end: Node's HTTP server drops a slow response (a file stream) to a client that half-closed.
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body ?? Buffer.alloc(0)])))
    socket.on('data', (c: Buffer) => chunks.push(c))
    // The server may answer (413, 431) and close before it read the whole body: the answer still counts.
    let socketError = ''
    socket.on('error', (err) => (socketError = String(err)))
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)
      finish(status ? Number(status[1]) : 599, text.slice(0, 600) || `connection closed without an answer ${socketError}`)
    })
  })
}

const under = (routes: RouteShape[], ...prefixes: string[]) => routes.filter((r) => prefixes.some((p) => r.path.startsWith(p)))

// SQLite in the suite (one dialect keeps it fast); LIFEBOAT_FUZZ_DIALECT=postgres runs it on PostgreSQL.
const DIALECT = process.env.LIFEBOAT_FUZZ_DIALECT === 'postgres' ? 'postgres' : 'sqlite'

describe(`${DIALECT}: fuzzing every route family answers no 5xx`, () => {
  let cloud: TestCloud
  let base: URL
  let families: Record<string, FamilySpec>
  let imageForBoot: string
  const fixtures = { serverId: '', volumeId: '' }
  let total = 0
  const started = Date.now()

  before(async () => {
    cloud = await startTestCloud(DIALECT, {}, process.env.LIFEBOAT_FUZZ_LOG ? { logger: { level: process.env.LIFEBOAT_FUZZ_LOG } } : {})
    base = new URL(cloud.url)
    const routes = parseRouteTree(cloud.running.app.printRoutes({ commonPrefix: false }))
    assert.ok(routes.length > 100, `routes found: ${routes.length}`)
    const { admin, demo } = cloud
    imageForBoot = await createImage(admin, { name: 'boot' })
    // The fuzzer's own records, so that it can damage them without breaking the checks afterwards.
    const fuzzImage = await createImage(demo, { name: 'fuzz', visibility: 'private' })
    const server = await bootServer(demo, { imageRef: imageForBoot, name: 'fuzz' })
    const volume = await createVolume(demo, { name: 'fuzz' })
    Object.assign(fixtures, { serverId: server.id, volumeId: volume.id })
    const flavor = await admin.request('POST', '/compute/v2.1/flavors', { body: { flavor: { name: 'fuzz', ram: 64, vcpus: 1, disk: 1 } } })
    const keypair = await demo.request('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'fuzz' } } })
    const provider = await admin.request('POST', '/placement/resource_providers', { body: { name: 'fuzz' }, microversion: '1.20' })
    const project = await admin.request('POST', '/identity/v3/projects', { body: { project: { name: 'fuzz' } } })
    const user = await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'fuzz', password: 'fuzz-password' } } })
    const snapshot = await demo.request('POST', `/volume/v3/${demo.projectId}/snapshots`, { body: { snapshot: { volume_id: volume.id, name: 'fuzz' } } })
    // In the admin project: a second network in demo's would make demo's boots without `networks` ambiguous (409).
    const network = await admin.request('POST', '/network/v2.0/networks', { body: { network: { name: 'fuzz' } } })
    const subnet = await admin.request('POST', '/network/v2.0/subnets', { body: { subnet: { network_id: network.body.network?.id, ip_version: 4, cidr: '10.250.0.0/24' } } })
    const port = await admin.request('POST', '/network/v2.0/ports', { body: { port: { network_id: network.body.network?.id } } })
    for (const res of [flavor, keypair, provider, project, user, snapshot, network, subnet, port]) assert.ok(res.status < 300, res.text)
    const credential = await cloud.running.services.agents.issueCredential('fuzz-host')
    const tokens = [admin.token, demo.token, 'gAAAAA-not-a-token']
    const common = { tokens }
    families = {
      identity: {
        ...common, routes: under(routes, '/identity'), bodyKeys: ['auth', 'identity', 'methods', 'password', 'user', 'name', 'domain', 'id', 'scope', 'project', 'token', 'enabled', 'description', 'role', 'default_project_id', 'options'],
        ids: { id: [project.body.project.id, user.body.user.id], projectId: [project.body.project.id], userId: [user.body.user.id] },
        extraHeaders: { 'x-subject-token': fc.constantFrom('', 'garbage', '\u00ff') },
      },
      servers: {
        ...common, routes: under(routes, '/compute/v2.1/servers'),
        bodyKeys: ['server', 'name', 'imageRef', 'flavorRef', 'networks', 'metadata', 'meta', 'tags', 'block_device_mapping_v2', 'key_name', 'user_data', 'availability_zone',
          'security_groups', 'adminPass', 'description', 'os-start', 'os-stop', 'reboot', 'type', 'rescue', 'unrescue', 'rescue_image_ref', 'lock', 'locked_reason', 'createImage',
          'os-getConsoleOutput', 'length', 'addSecurityGroup', 'volumeAttachment', 'volumeId', 'device', 'pause', 'suspend', 'lifeboat:key_name', 'lifeboat:timeout'],
        ids: { id: [server.id], volumeId: [volume.id], key: ['a'], tag: ['t'], requestId: ['req-x'] },
      },
      compute: {
        ...common, routes: routes.filter((r) => r.path.startsWith('/compute') && !r.path.startsWith('/compute/v2.1/servers')),
        bodyKeys: ['flavor', 'name', 'ram', 'vcpus', 'disk', 'id', 'extra_specs', 'keypair', 'public_key', 'type', 'security_group', 'security_group_rule', 'metadata', 'meta',
          'status', 'forced_down', 'addTenantAccess', 'tenant', 'description', 'os-flavor-access:is_public'],
        ids: { id: [flavor.body.flavor.id, fuzzImage], name: ['fuzz'], key: ['a'] },
      },
      image: {
        ...common, routes: under(routes, '/image'),
        bodyKeys: ['name', 'disk_format', 'container_format', 'visibility', 'tags', 'min_ram', 'min_disk', 'protected', 'id', 'op', 'path', 'value', 'member', 'status', 'os_hidden'],
        ids: { id: [fuzzImage], memberId: [demo.projectId], tag: ['t'], action: ['deactivate', 'reactivate'] },
      },
      volume: {
        ...common, routes: under(routes, '/volume'),
        bodyKeys: ['volume', 'size', 'name', 'description', 'metadata', 'snapshot_id', 'imageRef', 'volume_type', 'snapshot', 'volume_id', 'force', 'os-set_bootable', 'bootable',
          'os-extend', 'new_size', 'os-reset_status', 'status', 'attachment', 'instance_uuid', 'connector', 'mode', 'os-attach', 'os-detach', 'os-update_readonly_flag', 'readonly'],
        ids: { project_id: [demo.projectId], id: [volume.id, snapshot.body.snapshot.id], key: ['a'] },
      },
      placement: {
        ...common, routes: under(routes, '/placement'),
        bodyKeys: ['name', 'uuid', 'parent_provider_uuid', 'resource_provider_generation', 'inventories', 'total', 'reserved', 'allocation_ratio', 'traits', 'aggregates',
          'allocations', 'resources', 'project_id', 'user_id', 'consumer_generation', 'mappings', 'consumer_type'],
        ids: { uuid: [provider.body.uuid], rc: ['VCPU', 'CUSTOM_FUZZ'], name: ['CUSTOM_FUZZ', 'HW_CPU_X86_AVX'], consumer: [server.id] },
      },
      network: {
        ...common, routes: under(routes, '/network'),
        bodyKeys: ['network', 'networks', 'subnet', 'port', 'name', 'shared', 'router:external', 'mtu', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'allocation_pools',
          'start', 'end', 'dns_nameservers', 'host_routes', 'enable_dhcp', 'fixed_ips', 'ip_address', 'subnet_id', 'mac_address', 'device_id', 'binding:host_id', 'tags', 'quota', 'tenant_id'],
        ids: { id: [network.body.network.id, subnet.body.subnet.id, port.body.port.id], project_id: [demo.projectId], tag: ['t'], alias: ['binding'] },
      },
      agent: {
        tokens: [''], routes: under(routes, '/agent'), ids: { id: [server.id, fuzzImage] },
        bodyKeys: ['session', 'max', 'waitMs', 'events', 'powerState', 'outcome', 'result', 'error', 'host', 'capabilities', 'resources', 'kind'],
        extraHeaders: { 'x-lifeboat-agent-host': fc.constantFrom('fuzz-host', 'other'), 'x-lifeboat-agent-credential': fc.constantFrom(credential, credential, 'wrong') },
      },
    }
    for (const [name, spec] of Object.entries(families)) assert.ok(spec.routes.length > 0, `family ${name} has routes`)
  })

  after(async () => {
    await cloud?.close()
  })

  test('the cases an outside run found are 4xx in each service\'s own shape', async () => {
    const { demo } = cloud
    const deep = '['.repeat(5000) + ']'.repeat(5000)
    const nested = await demo.request('POST', `/compute/v2.1/servers/${fixtures.serverId}/action`, { rawBody: `{"reboot": ${deep}}`, contentType: 'application/json' })
    assert.equal(nested.status, 400)
    assert.match(nested.body.badRequest.message, /nests deeper than 64 levels/)
    const image = await demo.request('POST', '/image/v2/images', { rawBody: `{"name": ${deep}}`, contentType: 'application/json' })
    assert.equal(image.status, 400)
    assert.equal(image.body.code, '400 Bad Request')
    const placement = await cloud.admin.request('POST', '/placement/resource_providers', { rawBody: deep, contentType: 'application/json' })
    assert.equal(placement.status, 400)
    assert.equal(placement.body.errors[0].status, 400)
    const keystone = await cloud.request('POST', '/identity/v3/auth/tokens', { rawBody: deep, contentType: 'application/json' })
    assert.equal(keystone.status, 400)
    assert.equal(keystone.body.error.code, 400)
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await demo.request('POST', `/compute/v2.1/servers/${fixtures.serverId}/action`, { rawBody: `{"${name}": null}`, contentType: 'application/json' })
      assert.equal(res.status, 400, `${name}: ${res.text}`)
      assert.equal(res.body.badRequest.message, `There is no such action: ${name}`)
    }
    const nul = await demo.request('PUT', `/compute/v2.1/servers/${fixtures.serverId}/tags/a%00b`, { microversion: '2.26' })
    assert.equal(nul.status, 400)
    assert.ok(nul.body.badRequest)
    const bootable = await demo.request('POST', `/volume/v3/${demo.projectId}/volumes/${fixtures.volumeId}/action`, { body: { 'os-set_bootable': { bootable: [''] } } })
    assert.equal(bootable.status, 400)
    assert.match(bootable.body.badRequest.message, /bootable/)
    const big = await demo.request('POST', '/compute/v2.1/servers', { rawBody: `{"server": {"name": "${'x'.repeat(1024 * 1024)}"}}`, contentType: 'application/json' })
    assert.equal(big.status, 413)
    assert.equal(big.body.overLimit.message, 'Request is too large.')
  })

  test(`malformed requests over every route family get no 5xx (seed ${SEED})`, async () => {
    console.log(`fuzz seed: ${SEED} (set LIFEBOAT_FUZZ_SEED to replay)`)
    const failures: Sent[] = []
    for (const [name, spec] of Object.entries(families)) {
      const familyStart = Date.now()
      const requests = fc.sample(requestArb(spec), { seed: SEED, numRuns: RUNS_PER_FAMILY })
      let sent = 0
      for (const request of requests) {
        if (Date.now() - familyStart > FAMILY_TIME_LIMIT_MS) break
        const result = await send(base, request)
        sent++
        if (result.status >= 500) failures.push(result)
      }
      total += sent
      console.log(`fuzz ${name}: ${sent} requests in ${Date.now() - familyStart} ms`)
    }
    console.log(`fuzz: ${total} requests in ${Date.now() - started} ms (with setup)`)
    const shown = failures.slice(0, 10).map((f) => `${f.status} ${f.request.method} ${f.request.path.slice(0, 200)} headers=${JSON.stringify(f.request.headers).slice(0, 300)} body=${(f.request.body ?? '').slice(0, 200)} -> ${f.text}`)
    assert.equal(failures.length, 0, `${failures.length} responses >= 500:\n${shown.join('\n')}`)
  })

  test('the service still answers normal calls after the fuzzing', async () => {
    const again = await cloud.login('demo', 'demo-secret-pw', 'demo')
    const listed = await again.request('GET', '/compute/v2.1/servers')
    assert.equal(listed.status, 200)
    const server = await bootServer(again, { imageRef: imageForBoot, name: 'after-fuzz' })
    const deleted = await again.request('DELETE', `/compute/v2.1/servers/${server.id}`)
    assert.equal(deleted.status, 204)
    await waitForDeleted(again, server.id)
  })
})
