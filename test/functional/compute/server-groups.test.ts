import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect, type Session } from '../../helpers/cloud.js'
import { bootServer, createImage, waitForDeleted, waitForStatus } from '../../helpers/compute.js'
import { waitUntil } from '../../helpers/wait-until.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'

const C = '/compute/v2.1'
const S = 'tempest.lib.api_schema.response.compute'
const NO_HOST = 'No valid host was found. There are not enough hosts available.'

function createGroup(session: Session, group: Record<string, unknown>, microversion = '2.1') {
  return session.request('POST', `${C}/os-server-groups`, { body: { server_group: { name: 'g', ...group } }, microversion })
}

/** Boots a server into a group (the scheduler hint) without waiting. */
function bootInGroup(session: Session, imageRef: string, groupId: unknown, microversion = '2.1') {
  return session.request('POST', `${C}/servers`, { body: { server: { flavorRef: '1', name: 'member', imageRef }, 'os:scheduler_hints': { group: groupId } }, microversion })
}

/** Polls a server until it is ACTIVE or ERROR with no task. */
function waitUntilSettled(session: Session, id: string) {
  return waitUntil(async () => {
    const server = (await session.request('GET', `${C}/servers/${id}`)).body.server
    return ['ACTIVE', 'ERROR'].includes(server.status) && server['OS-EXT-STS:task_state'] === null ? server : undefined
  }, { timeoutMs: 10_000, intervalMs: 20, what: `server ${id} did not settle` })
}

describeEachDialect('compute server groups', (cloud) => {
  let imageId = ''

  test('create, show, list and delete, shaped by microversion as Nova', async () => {
    const { demo, admin } = cloud()
    const old = await createGroup(demo, { name: 'web', policies: ['anti-affinity'] })
    assert.equal(old.status, 200, old.text)
    const id = old.body.server_group.id
    assert.deepEqual(old.body.server_group, { id, name: 'web', policies: ['anti-affinity'], metadata: {}, members: [] })
    const v213 = await demo.request('GET', `${C}/os-server-groups/${id}`, { microversion: '2.13' })
    assert.deepEqual(v213.body.server_group, { id, name: 'web', policies: ['anti-affinity'], metadata: {}, members: [], project_id: demo.projectId, user_id: demo.userId })
    const v264 = await demo.request('GET', `${C}/os-server-groups/${id}`, { microversion: '2.64' })
    assert.deepEqual(v264.body.server_group, { id, name: 'web', policy: 'anti-affinity', rules: {}, members: [], project_id: demo.projectId, user_id: demo.userId })

    const ruled = await createGroup(demo, { name: 'db', policy: 'anti-affinity', rules: { max_server_per_host: 3 } }, '2.64')
    assert.equal(ruled.status, 200, ruled.text)
    assert.deepEqual(ruled.body.server_group.rules, { max_server_per_host: 3 })
    assert.deepEqual((await demo.request('GET', `${C}/os-server-groups/${ruled.body.server_group.id}`)).body.server_group.policies, ['anti-affinity'])
    assert.equal((await createGroup(demo, { policies: ['soft-affinity'] }, '2.14')).status, 400)
    const soft = await createGroup(demo, { name: 'soft', policies: ['soft-affinity'] }, '2.15')
    assert.equal(soft.status, 200, soft.text)

    const theirs = await createGroup(admin, { name: 'admins', policies: ['affinity'] })
    // Groups made in one millisecond may list in either order; the order is stable, so offset pages through it.
    const names = (res: { body: { server_groups: Array<{ name: string }> } }) => res.body.server_groups.map((g) => g.name)
    const mine = names(await demo.request('GET', `${C}/os-server-groups`))
    assert.deepEqual([...mine].sort(), ['db', 'soft', 'web'])
    // all_projects is for admins; a member asking gets their own, as Nova.
    assert.deepEqual(names(await demo.request('GET', `${C}/os-server-groups?all_projects=True`)), mine)
    assert.deepEqual(names(await admin.request('GET', `${C}/os-server-groups?all_projects=1`)).sort(), ['admins', 'db', 'soft', 'web'])
    assert.deepEqual(names(await admin.request('GET', `${C}/os-server-groups`)), ['admins'])
    assert.deepEqual(names(await demo.request('GET', `${C}/os-server-groups?limit=1&offset=1`)), [mine[1]])
    assert.deepEqual(names(await demo.request('GET', `${C}/os-server-groups?limit=0`)), mine)
    const badLimit = await demo.request('GET', `${C}/os-server-groups?limit=-1`)
    assert.equal(badLimit.status, 400)
    assert.equal(badLimit.body.badRequest.message, "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'")
    assert.equal((await demo.request('GET', `${C}/os-server-groups?colour=red`, { microversion: '2.75' })).status, 400)
    assert.equal((await demo.request('GET', `${C}/os-server-groups?colour=red`, { microversion: '2.74' })).status, 200)

    // Another project's group is not there for the caller.
    const other = await demo.request('GET', `${C}/os-server-groups/${theirs.body.server_group.id}`)
    assert.equal(other.status, 404)
    assert.equal(other.body.itemNotFound.message, `Instance group ${theirs.body.server_group.id} could not be found.`)
    assert.equal((await demo.request('DELETE', `${C}/os-server-groups/${theirs.body.server_group.id}`)).status, 404)
    assert.equal((await admin.request('GET', `${C}/os-server-groups/${id}`)).status, 200)

    for (const group of [old, ruled, soft, theirs]) {
      const owner = group === theirs ? admin : demo
      assert.equal((await owner.request('DELETE', `${C}/os-server-groups/${group.body.server_group.id}`)).status, 204)
    }
    assert.equal((await demo.request('GET', `${C}/os-server-groups/${id}`)).status, 404)
    assert.equal((await demo.request('DELETE', `${C}/os-server-groups/${id}`)).status, 404)
  })

  test('bad bodies are 400 with Nova\'s words and create nothing', async () => {
    const { demo } = cloud()
    const long = 'a'.repeat(256)
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ name: long, policies: ['affinity'] }, '2.1', `Invalid input for field/attribute name. Value: ${long}. '${long}' is too long`],
      [{ name: '', policies: ['affinity'] }, '2.1', "Invalid input for field/attribute name. Value: . '' should be non-empty"],
      [{ name: ' padded', policies: ['affinity'] }, '2.1', "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace."],
      [{ name: 'g', policies: ['sometimes'] }, '2.1', "Invalid input for field/attribute 0. Value: sometimes. 'sometimes' is not one of ['anti-affinity', 'affinity']"],
      [{ name: 'g', policies: ['affinity', 'anti-affinity'] }, '2.1', "Invalid input for field/attribute policies. Value: ['affinity', 'anti-affinity']. ['affinity', 'anti-affinity'] is too long"],
      [{ name: 'g', policies: [] }, '2.1', 'Invalid input for field/attribute policies. Value: []. [] should be non-empty'],
      [{ name: 'g' }, '2.1', "Invalid input for field/attribute server_group. Value: {'name': 'g'}. 'policies' is a required property"],
      [{ name: 'g', policies: ['affinity'] }, '2.64', "Invalid input for field/attribute server_group. Value: {'name': 'g', 'policies': ['affinity']}. 'policy' is a required property"],
      [{ name: 'g', policy: 'sometimes' }, '2.64', "Invalid input for field/attribute policy. Value: sometimes. 'sometimes' is not one of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']"],
      [{ name: 'g', policy: 'affinity', rules: { max_server_per_host: 2 } }, '2.64', 'Only anti-affinity policy supports rules.'],
      [{ name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 0 } }, '2.64', 'Invalid input for field/attribute max_server_per_host. Value: 0. 0 is less than the minimum of 1'],
      [{ name: 'g', policy: 'anti-affinity', rules: { colour: 1 } }, '2.64', "Invalid input for field/attribute rules. Value: {'colour': 1}. Additional properties are not allowed ('colour' was unexpected)"],
      [{ name: 'g', policies: ['affinity'], colour: 'red' }, '2.1', "Invalid input for field/attribute server_group. Value: {'name': 'g', 'policies': ['affinity'], 'colour': 'red'}. Additional properties are not allowed ('colour' was unexpected)"],
    ]
    for (const [group, mv, message] of cases) {
      const res = await demo.request('POST', `${C}/os-server-groups`, { body: { server_group: group }, microversion: mv })
      assert.equal(res.status, 400, JSON.stringify(group))
      assert.equal(res.body.badRequest.message, message)
    }
    const bare = await demo.request('POST', `${C}/os-server-groups`, { body: { group: {} } })
    assert.equal(bare.body.badRequest.message, "'server_group' is a required property")
    assert.deepEqual((await demo.request('GET', `${C}/os-server-groups`)).body.server_groups, [])
  })

  test('anti-affinity: one member per host; the second boot on the only host fails NoValidHost, and members leave when deleted', async () => {
    const { demo } = cloud()
    imageId = await createImage(cloud().admin)
    const group = (await createGroup(demo, { name: 'anti', policies: ['anti-affinity'] })).body.server_group
    const first = await bootInGroup(demo, imageId, group.id)
    assert.equal(first.status, 202, first.text)
    const a = await waitForStatus(demo, first.body.server.id, 'ACTIVE', { microversion: '2.71' })
    assert.deepEqual(a.server_groups, [group.id])
    const second = await bootInGroup(demo, imageId, group.id)
    assert.equal(second.status, 202, second.text)
    const b = await waitForStatus(demo, second.body.server.id, 'ERROR')
    assert.equal(b.fault.message, NO_HOST)
    const members = (await demo.request('GET', `${C}/os-server-groups/${group.id}`)).body.server_group.members
    assert.deepEqual([...members].sort(), [a.id, b.id].sort())
    for (const id of [a.id, b.id]) {
      assert.equal((await demo.request('DELETE', `${C}/servers/${id}`)).status, 204)
      await waitForDeleted(demo, id)
    }
    assert.deepEqual((await demo.request('GET', `${C}/os-server-groups/${group.id}`)).body.server_group.members, [])
    // The place is free again.
    const again = await bootInGroup(demo, imageId, group.id)
    await waitForStatus(demo, again.body.server.id, 'ACTIVE')
    await demo.request('DELETE', `${C}/servers/${again.body.server.id}`)
    await waitForDeleted(demo, again.body.server.id)
  })

  test('anti-affinity holds for servers scheduled at once: of two booted together on one host, one fails', async () => {
    const { demo } = cloud()
    const group = (await createGroup(demo, { name: 'anti-at-once', policies: ['anti-affinity'] })).body.server_group
    const res = await demo.request('POST', `${C}/servers`, {
      body: { server: { flavorRef: '1', name: 'pair', imageRef: imageId, min_count: 2, max_count: 2, return_reservation_id: true }, 'os:scheduler_hints': { group: group.id } },
    })
    assert.equal(res.status, 202, res.text)
    const ids = (await demo.request('GET', `${C}/servers?reservation_id=${res.body.reservation_id}`)).body.servers.map((s: { id: string }) => s.id)
    assert.equal(ids.length, 2)
    const settled = await Promise.all(ids.map((id: string) => waitUntilSettled(demo, id)))
    assert.deepEqual(settled.map((s) => s.status).sort(), ['ACTIVE', 'ERROR'])
    assert.equal(settled.find((s) => s.status === 'ERROR')!.fault.message, NO_HOST)
    for (const id of ids) await demo.request('DELETE', `${C}/servers/${id}`)
    for (const id of ids) await waitForDeleted(demo, id)
    await demo.request('DELETE', `${C}/os-server-groups/${group.id}`)
  })

  test('affinity, soft policies and max_server_per_host place servers as Nova\'s filters and weighers do', async () => {
    const { demo } = cloud()
    const booted: string[] = []
    const boot = async (groupId: string, status: 'ACTIVE' | 'ERROR') => {
      const res = await bootInGroup(demo, imageId, groupId)
      assert.equal(res.status, 202, res.text)
      booted.push(res.body.server.id)
      return waitForStatus(demo, res.body.server.id, status, { microversion: '2.71' })
    }
    const affinity = (await createGroup(demo, { name: 'together', policies: ['affinity'] })).body.server_group
    const softAnti = (await createGroup(demo, { name: 'apart-if-possible', policies: ['soft-anti-affinity'] }, '2.15')).body.server_group
    const two = (await createGroup(demo, { name: 'two-per-host', policy: 'anti-affinity', rules: { max_server_per_host: 2 } }, '2.64')).body.server_group
    for (const group of [affinity, softAnti]) {
      const [x, y] = [await boot(group.id, 'ACTIVE'), await boot(group.id, 'ACTIVE')]
      assert.equal(x.hostId, y.hostId)
    }
    await boot(two.id, 'ACTIVE')
    await boot(two.id, 'ACTIVE')
    assert.equal((await boot(two.id, 'ERROR')).fault.message, NO_HOST)
    assert.equal((await demo.request('GET', `${C}/os-server-groups/${two.id}`)).body.server_group.members.length, 3)
    for (const id of booted) await demo.request('DELETE', `${C}/servers/${id}`)
    for (const id of booted) await waitForDeleted(demo, id)
    for (const group of [affinity, softAnti, two]) await demo.request('DELETE', `${C}/os-server-groups/${group.id}`)
  })

  test('a group hint that is not a uuid, unknown or another project\'s is 400 and boots nothing', async () => {
    const { demo, admin } = cloud()
    const count = async () => (await demo.request('GET', `${C}/servers`)).body.servers.length
    const before = await count()
    const notUuid = await bootInGroup(demo, imageId, 'group-one')
    assert.equal(notUuid.status, 400)
    assert.equal(notUuid.body.badRequest.message, "Invalid input for field/attribute group. Value: group-one. 'group-one' is not valid under any of the given schemas")
    const unknown = '0b6c7a52-4a4e-4e38-9d3c-6a1c1f5b9f11'
    const missing = await bootInGroup(demo, imageId, unknown)
    assert.equal(missing.status, 400)
    assert.equal(missing.body.badRequest.message, `Instance group ${unknown} could not be found.`)
    const theirs = (await createGroup(admin, { name: 'admins', policies: ['affinity'] })).body.server_group
    assert.equal((await bootInGroup(demo, imageId, theirs.id)).status, 400)
    assert.equal(await count(), before)
    await admin.request('DELETE', `${C}/os-server-groups/${theirs.id}`)
  })

  test('a server in no group shows server_groups [] at 2.71 and none before', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId, networks: 'none' }, '2.71')
    assert.deepEqual(server.server_groups, [])
    const old = await cloud().demo.request('GET', `${C}/servers/${server.id}`, { microversion: '2.70' })
    assert.equal(old.body.server.server_groups, undefined)
    await cloud().demo.request('DELETE', `${C}/servers/${server.id}`)
    await waitForDeleted(cloud().demo, server.id)
  })

  test("responses match Tempest schemas (v2_1, v2_13, v2_64; a server's groups at 2.71)", { skip: skipWithoutTempest() }, async () => {
    const { demo } = cloud()
    const checks: TempestCheck[] = []
    for (const [mv, module] of [['2.1', 'v2_1'], ['2.13', 'v2_13'], ['2.64', 'v2_64']] as const) {
      const body = mv === '2.64' ? { name: `schema-${mv}`, policy: 'anti-affinity', rules: { max_server_per_host: 2 } } : { name: `schema-${mv}`, policies: ['affinity'] }
      const created = await demo.request('POST', `${C}/os-server-groups`, { body: { server_group: body }, microversion: mv })
      checks.push({ ref: `${S}.${module}.server_groups:create_show_server_group`, status: created.status, body: created.body })
      const shown = await demo.request('GET', `${C}/os-server-groups/${created.body.server_group.id}`, { microversion: mv })
      checks.push({ ref: `${S}.${module}.server_groups:create_show_server_group`, status: shown.status, body: shown.body })
      const list = await demo.request('GET', `${C}/os-server-groups`, { microversion: mv })
      checks.push({ ref: `${S}.${module}.server_groups:list_server_groups`, status: list.status, body: list.body })
      const deleted = await demo.request('DELETE', `${C}/os-server-groups/${created.body.server_group.id}`, { microversion: mv })
      checks.push({ ref: `${S}.${module}.server_groups:delete_server_group`, status: deleted.status, body: deleted.body })
    }
    imageId ||= await createImage(cloud().admin)
    const group = (await createGroup(demo, { name: 'schema-member', policies: ['affinity'] })).body.server_group
    const booted = await bootInGroup(demo, imageId, group.id, '2.71')
    // At 2.37+ a boot names its networks.
    assert.equal(booted.status, 400)
    const server = await demo.request('POST', `${C}/servers`, {
      body: { server: { flavorRef: '1', name: 'schema-vm', imageRef: imageId, networks: 'none' }, 'os:scheduler_hints': { group: group.id } }, microversion: '2.71',
    })
    const active = await waitForStatus(demo, server.body.server.id, 'ACTIVE', { microversion: '2.71' })
    assert.deepEqual(active.server_groups, [group.id])
    const show = await demo.request('GET', `${C}/servers/${active.id}`, { microversion: '2.71' })
    checks.push({ ref: `${S}.v2_71.servers:get_server`, status: show.status, body: show.body })
    assertAllMatchTempestSchemas(checks)
    await demo.request('DELETE', `${C}/servers/${active.id}`)
    await waitForDeleted(demo, active.id)
    await demo.request('DELETE', `${C}/os-server-groups/${group.id}`)
  })
})
