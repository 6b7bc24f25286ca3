import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'
import { insertInstance } from './compute-host-fixtures.js'
import { action, bootServer, createImage } from '../../helpers/compute.js'

const S = 'tempest.lib.api_schema.response.compute.v2_1.security_groups'
const C = '/compute/v2.1'

describeEachDialect('compute os-security-groups', (cloud) => {
  let groupId = ''
  test('each project has a default group; create answers 200; names are unique per project', async () => {
    const list = await cloud().demo.request('GET', `${C}/os-security-groups`)
    assert.equal(list.status, 200)
    assert.deepEqual(list.body.security_groups.map((g: any) => [g.name, g.tenant_id]), [['default', cloud().demo.projectId]])
    const created = await cloud().demo.request('POST', `${C}/os-security-groups`, { body: { security_group: { name: 'web', description: 'web servers' } } })
    assert.equal(created.status, 200)
    assert.equal(created.body.security_group.name, 'web')
    assert.deepEqual(created.body.security_group.rules, [])
    groupId = created.body.security_group.id
    const dup = await cloud().demo.request('POST', `${C}/os-security-groups`, { body: { security_group: { name: 'web', description: '' } } })
    assert.equal(dup.status, 400)
    assert.equal(dup.body.badRequest.message, `Security group web already exists for project ${cloud().demo.projectId}.`)
    assert.equal((await cloud().demo.request('POST', `${C}/os-security-groups`, { body: { security_group: { name: 'x' } } })).status, 400)
  })

  test('show, update; another project gets 404; admins list all with all_tenants', async () => {
    const shown = await cloud().demo.request('GET', `${C}/os-security-groups/${groupId}`)
    assert.equal(shown.body.security_group.description, 'web servers')
    const updated = await cloud().demo.request('PUT', `${C}/os-security-groups/${groupId}`, { body: { security_group: { name: 'web2', description: 'renamed' } } })
    assert.equal(updated.body.security_group.name, 'web2')
    const foreign = await cloud().admin.request('GET', `${C}/os-security-groups`)
    assert.ok(!foreign.body.security_groups.some((g: any) => g.id === groupId))
    const all = await cloud().admin.request('GET', `${C}/os-security-groups?all_tenants=1`)
    assert.ok(all.body.security_groups.some((g: any) => g.id === groupId))
    const adminView = await cloud().admin.request('GET', `${C}/os-security-groups/${groupId}`)
    assert.equal(adminView.status, 200)
  })

  test('rules: CIDR and source-group rules, Nova validation, duplicates, delete', async () => {
    const tcp = await cloud().demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: groupId, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } } })
    assert.equal(tcp.status, 200)
    assert.deepEqual({ ...tcp.body.security_group_rule, id: 'x' }, { id: 'x', parent_group_id: groupId, ip_protocol: 'tcp', from_port: 22, to_port: 22, group: {}, ip_range: { cidr: '10.0.0.0/8' } })
    const dup = await cloud().demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: groupId, ip_protocol: 'tcp', from_port: 22, to_port: 22, cidr: '10.0.0.0/8' } } })
    assert.equal(dup.body.badRequest.message, `This rule already exists in group ${groupId}`)
    const defaultId = (await cloud().demo.request('GET', `${C}/os-security-groups`)).body.security_groups.find((g: any) => g.name === 'default').id
    const fromGroup = await cloud().demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: groupId, ip_protocol: 'icmp', group_id: defaultId } } })
    assert.equal(fromGroup.status, 200)
    assert.equal(fromGroup.body.security_group_rule.from_port, -1)
    assert.deepEqual(fromGroup.body.security_group_rule.group, { name: 'default', tenant_id: cloud().demo.projectId })
    assert.deepEqual(fromGroup.body.security_group_rule.ip_range, {})
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ip_protocol: 'tcp', from_port: 80, to_port: 22 }, 'Invalid port range 80:22. Former value cannot be greater than the later'],
      [{ ip_protocol: 'tcp', from_port: 0, to_port: 22 }, 'Invalid port range 0:22. Valid TCP ports should be between 1-65535'],
      [{ ip_protocol: 'icmp', from_port: 300, to_port: 0 }, 'Invalid port range 300:0. For ICMP, the type:code must be valid'],
      [{ ip_protocol: 'gre', from_port: 1, to_port: 2 }, 'Invalid IP protocol gre.'],
      [{ ip_protocol: 'tcp', from_port: 'a', to_port: 2 }, 'Invalid input received: To and From ports must be integers'],
      [{ ip_protocol: 'tcp', from_port: 1, to_port: 2, cidr: 'nonsense' }, 'nonsense is not a valid IP network.'],
      [{ cidr: '10.0.0.0/8' }, 'Not enough parameters to build a valid rule.'],
    ]
    for (const [fields, message] of cases) {
      const res = await cloud().demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: groupId, ...fields } } })
      assert.equal(res.status, 400, JSON.stringify(fields))
      assert.equal(res.body.badRequest.message, message)
    }
    const missing = await cloud().demo.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: '00000000-0000-0000-0000-000000000000', ip_protocol: 'tcp', from_port: 1, to_port: 2 } } })
    assert.equal(missing.status, 404)
    const group = await cloud().demo.request('GET', `${C}/os-security-groups/${groupId}`)
    assert.equal(group.body.security_group.rules.length, 2)
    const del = await cloud().demo.request('DELETE', `${C}/os-security-group-rules/${tcp.body.security_group_rule.id}`)
    assert.equal(del.status, 202)
    assert.equal((await cloud().demo.request('DELETE', `${C}/os-security-group-rules/${tcp.body.security_group_rule.id}`)).status, 404)
    assert.equal((await cloud().admin.request('DELETE', `${C}/os-security-group-rules/${fromGroup.body.security_group_rule.id}`)).status, 202)
  })

  test('servers: add (idempotent), names, groups of a server, remove, in-use groups cannot be deleted', async () => {
    const services = cloud().running.services
    const uuid = await insertInstance(cloud(), cloud().demo.projectId, cloud().demo.userId, null, { vcpus: 1, ram: 64, disk: 1 })
    const auth = await services.tokens.validate(cloud().demo.token)
    await services.securityGroups.addToServer(auth, uuid, 'web2')
    await services.securityGroups.addToServer(auth, uuid, 'web2')
    await services.securityGroups.addToServer(auth, uuid, 'default')
    assert.deepEqual(await services.securityGroups.groupNamesOfServer(uuid), ['default', 'web2'])
    assert.deepEqual((await services.securityGroups.groupsOfServer(uuid)).map((g) => g.name), ['default', 'web2'])
    await assert.rejects(services.securityGroups.addToServer(auth, uuid, 'nope'), { status: 404, message: `Security group nope is not found for project ${cloud().demo.projectId}` })
    const inUse = await cloud().demo.request('DELETE', `${C}/os-security-groups/${groupId}`)
    assert.equal(inUse.status, 400)
    await services.securityGroups.removeFromServer(auth, uuid, 'web2')
    await assert.rejects(services.securityGroups.removeFromServer(auth, uuid, 'web2'), { status: 404, message: `Security group web2 not associated with the instance ${uuid}` })
    assert.deepEqual(await services.securityGroups.groupNamesOfServer(uuid), ['default'])
  })

  test('delete: 202, the default group is refused; everything is 404 from 2.36', async () => {
    const defaultId = (await cloud().demo.request('GET', `${C}/os-security-groups`)).body.security_groups.find((g: any) => g.name === 'default').id
    const refused = await cloud().demo.request('DELETE', `${C}/os-security-groups/${defaultId}`)
    assert.equal(refused.body.badRequest.message, 'Removing default security group not allowed.')
    assert.equal((await cloud().demo.request('GET', `${C}/os-security-groups`, { microversion: '2.36' })).status, 404)
    assert.equal((await cloud().demo.request('DELETE', `${C}/os-security-groups/${groupId}`, { microversion: '2.36' })).status, 404)
    assert.equal((await cloud().demo.request('DELETE', `${C}/os-security-groups/${groupId}`)).status, 202)
    assert.equal((await cloud().demo.request('GET', `${C}/os-security-groups/${groupId}`)).status, 404)
  })

  test('responses match Tempest schemas', { skip: skipWithoutTempest() }, async () => {
    const d = cloud().demo
    const checks: TempestCheck[] = []
    const add = (ref: string, res: { status: number; body: unknown; text: string }) => checks.push({ ref: `${S}:${ref}`, status: res.status, body: res.text === '' ? '' : res.body })
    const created = await d.request('POST', `${C}/os-security-groups`, { body: { security_group: { name: 'schema', description: 'd' } } })
    add('create_security_group', created)
    const id = created.body.security_group.id
    const rule = await d.request('POST', `${C}/os-security-group-rules`, { body: { security_group_rule: { parent_group_id: id, ip_protocol: 'udp', from_port: 53, to_port: 53 } } })
    add('create_security_group_rule', rule)
    add('list_security_groups', await d.request('GET', `${C}/os-security-groups`))
    add('get_security_group', await d.request('GET', `${C}/os-security-groups/${id}`))
    add('update_security_group', await d.request('PUT', `${C}/os-security-groups/${id}`, { body: { security_group: { name: 'schema2', description: 'd2' } } }))
    add('delete_security_group_rule', await d.request('DELETE', `${C}/os-security-group-rules/${rule.body.security_group_rule.id}`))
    add('delete_security_group', await d.request('DELETE', `${C}/os-security-groups/${id}`))
    assertAllMatchTempestSchemas(checks)
  })

  test('a server in no security group shows no `security_groups` key (Nova _add_security_grps; Tempest test_remove_server_all_security_groups)', async () => {
    const image = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: image })
    assert.deepEqual(server.security_groups, [{ name: 'default' }])
    assert.equal((await action(cloud().demo, server.id, { removeSecurityGroup: { name: 'default' } })).status, 202)
    const shown = (await cloud().demo.request('GET', `${C}/servers/${server.id}`)).body.server
    assert.equal('security_groups' in shown, false)
  })
})
