import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { NET, assertNeutronError, createNetwork, createPort, createSubnet } from './network-helpers.js'

const C = '/compute/v2.1'

describeEachDialect('network service: security groups and rules', (cloud) => {
  let groupId = ''

  test("a project's default group is made on first use with Neutron's four rules; Nova's view shows its ingress rules", async () => {
    const demo = cloud().demo
    const list = await demo.request('GET', `${NET}/security-groups?name=default`)
    assert.equal(list.status, 200)
    assert.equal(list.body.security_groups.length, 1)
    const group = list.body.security_groups[0]
    assert.deepEqual({ name: group.name, project: group.project_id, tenant: group.tenant_id, stateful: group.stateful, shared: group.shared, description: group.description },
      { name: 'default', project: demo.projectId, tenant: demo.projectId, stateful: true, shared: false, description: 'Default security group' })
    const rules = group.security_group_rules.map((r: any) => [r.direction, r.ethertype, r.protocol, r.remote_group_id, r.remote_ip_prefix, r.belongs_to_default_sg]).sort()
    assert.deepEqual(rules, [
      ['egress', 'IPv4', null, null, null, true], ['egress', 'IPv6', null, null, null, true],
      ['ingress', 'IPv4', null, group.id, null, true], ['ingress', 'IPv6', null, group.id, null, true],
    ])
    const nova = await demo.request('GET', `${C}/os-security-groups/${group.id}`)
    assert.equal(nova.body.security_group.rules.length, 2)
    assert.deepEqual(nova.body.security_group.rules[0].group, { name: 'default', tenant_id: demo.projectId })
  })

  test('create, show, update; the default group keeps its name, is not made twice, and only an admin deletes it', async () => {
    const demo = cloud().demo
    const created = await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'web', description: 'web servers' } } })
    assert.equal(created.status, 201, created.text)
    groupId = created.body.security_group.id
    assert.deepEqual(created.body.security_group.security_group_rules.map((r: any) => `${r.direction}/${r.ethertype}`).sort(), ['egress/IPv4', 'egress/IPv6'])
    assert.equal(created.body.security_group.revision_number, 0)
    const updated = await demo.request('PUT', `${NET}/security-groups/${groupId}`, { body: { security_group: { description: 'renamed' } } })
    assert.equal(updated.body.security_group.description, 'renamed')
    assert.equal(updated.body.security_group.revision_number, 1)
    assertNeutronError(await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'Default' } } }), 409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.')
    const defaultId = (await demo.request('GET', `${NET}/security-groups?name=default`)).body.security_groups[0].id
    assertNeutronError(await demo.request('PUT', `${NET}/security-groups/${defaultId}`, { body: { security_group: { name: 'x' } } }), 409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.')
    assertNeutronError(await demo.request('DELETE', `${NET}/security-groups/${defaultId}`), 409, 'SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.')
    assertNeutronError(await demo.request('PUT', `${NET}/security-groups/${groupId}`, { body: { security_group: { tenant_id: 'x' } } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute tenant_id')
    assertNeutronError(await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'x', bogus: 1 } } }), 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'")
    const shown = await demo.request('GET', `${NET}/security-groups/${groupId}?fields=id&fields=name`)
    assert.deepEqual(shown.body.security_group, { id: groupId, name: 'web' })
  })

  test('rules: Neutron checks and texts, duplicates, remote groups, filters, show and delete', async () => {
    const demo = cloud().demo
    const rule = (fields: Record<string, unknown>) => demo.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: { security_group_id: groupId, direction: 'ingress', ...fields } } })
    const ssh = await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' })
    assert.equal(ssh.status, 201, ssh.text)
    assert.deepEqual(
      (({ protocol, port_range_min, port_range_max, ethertype, remote_ip_prefix, normalized_cidr, project_id }) => ({ protocol, port_range_min, port_range_max, ethertype, remote_ip_prefix, normalized_cidr, project_id }))(ssh.body.security_group_rule),
      { protocol: 'tcp', port_range_min: 22, port_range_max: 22, ethertype: 'IPv4', remote_ip_prefix: '0.0.0.0/0', normalized_cidr: '0.0.0.0/0', project_id: demo.projectId },
    )
    assertNeutronError(await rule({ protocol: '6', port_range_min: 22, port_range_max: 22 }), 409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${ssh.body.security_group_rule.id}.`)
    assertNeutronError(await rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 22 }), 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max')
    assertNeutronError(await rule({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }), 400, 'SecurityGroupInvalidProtocolForPort')
    assertNeutronError(await rule({ protocol: 'bogus' }), 400, 'SecurityGroupRuleInvalidProtocol')
    assertNeutronError(await rule({ protocol: 'icmp', port_range_min: 300 }), 400, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.')
    assertNeutronError(await rule({ remote_ip_prefix: '2001:db8::/32' }), 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv4 for CIDR 2001:db8::/32')
    assertNeutronError(await rule({ direction: 'up' }), 400, 'HTTPBadRequest', "Invalid input for direction. Reason: 'up' is not in ['ingress', 'egress'].")
    assertNeutronError(await demo.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: { security_group_id: groupId } } }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'direction' not specified")
    const missing = '00000000-0000-0000-0000-000000000000'
    assertNeutronError(await rule({ remote_group_id: missing }), 404, 'SecurityGroupNotFound', `Security group ${missing} does not exist`)
    assertNeutronError(await rule({ security_group_id: missing }), 404, 'SecurityGroupNotFound')
    const icmp6 = await rule({ protocol: 'icmp', ethertype: 'IPv6' })
    assert.equal(icmp6.body.security_group_rule.protocol, 'ipv6-icmp')
    const all = await rule({ protocol: 'udp', port_range_min: 1, port_range_max: 65535 })
    assert.deepEqual([all.body.security_group_rule.port_range_min, all.body.security_group_rule.port_range_max], [null, null])

    const listed = await demo.request('GET', `${NET}/security-group-rules?security_group_id=${groupId}&direction=ingress`)
    assert.deepEqual(listed.body.security_group_rules.map((r: any) => r.protocol).sort(), ['ipv6-icmp', 'tcp', 'udp'])
    const shown = await demo.request('GET', `${NET}/security-group-rules/${ssh.body.security_group_rule.id}`)
    assert.equal(shown.body.security_group_rule.security_group_id, groupId)
    const nova = await demo.request('GET', `${C}/os-security-groups/${groupId}`)
    assert.deepEqual(nova.body.security_group.rules.map((r: any) => [r.ip_protocol, r.from_port, r.to_port]).sort(), [['ipv6-icmp', -1, -1], ['tcp', 22, 22], ['udp', 1, 65535]])
    assert.equal((await demo.request('DELETE', `${NET}/security-group-rules/${icmp6.body.security_group_rule.id}`)).status, 204)
    assertNeutronError(await demo.request('GET', `${NET}/security-group-rules/${icmp6.body.security_group_rule.id}`), 404, 'SecurityGroupRuleNotFound', `Security group rule ${icmp6.body.security_group_rule.id} does not exist`)
  })

  test('a group a port uses is in use; a port without security_groups gets the default group, with [] none', async () => {
    const demo = cloud().demo
    const network = await createNetwork(demo)
    await createSubnet(demo, network.id)
    const port = await createPort(demo, network.id, { security_groups: [groupId] })
    assertNeutronError(await demo.request('DELETE', `${NET}/security-groups/${groupId}`), 409, 'SecurityGroupInUse', `Security Group ${groupId} in use.`)
    const plain = await createPort(demo, network.id)
    const defaultId = (await demo.request('GET', `${NET}/security-groups?name=default`)).body.security_groups[0].id
    assert.deepEqual(plain.security_groups, [defaultId])
    assert.deepEqual((await createPort(demo, network.id, { security_groups: [] })).security_groups, [])
    assert.equal((await demo.request('DELETE', `${NET}/ports/${port.id}`)).status, 204)
  })

  test("another project's groups and rules are 404; an admin sees and may delete them", async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    const adminGroup = (await admin.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'admins-only' } } })).body.security_group
    assertNeutronError(await demo.request('GET', `${NET}/security-groups/${adminGroup.id}`), 404, 'SecurityGroupNotFound', `Security group ${adminGroup.id} does not exist`)
    assertNeutronError(await demo.request('GET', `${NET}/security-group-rules/${adminGroup.security_group_rules[0].id}`), 404, 'SecurityGroupRuleNotFound')
    assertNeutronError(await demo.request('DELETE', `${NET}/security-groups/${adminGroup.id}`), 404, 'SecurityGroupNotFound')
    assert.ok(!(await demo.request('GET', `${NET}/security-groups`)).body.security_groups.some((g: any) => g.id === adminGroup.id))
    assert.ok((await admin.request('GET', `${NET}/security-groups`)).body.security_groups.some((g: any) => g.id === groupId))
    assert.equal((await admin.request('GET', `${NET}/security-groups/${groupId}`)).status, 200)
    assert.equal((await admin.request('DELETE', `${NET}/security-groups/${adminGroup.id}`)).status, 204)
  })

  test('quotas security_group and security_group_rule: 409 OverQuota', async () => {
    const admin = cloud().admin
    const demo = cloud().demo
    const details = await demo.request('GET', `${NET}/quotas/${demo.projectId}/details`)
    const used = details.body.quota.security_group.used
    const rulesUsed = details.body.quota.security_group_rule.used
    assert.equal((await admin.request('PUT', `${NET}/quotas/${demo.projectId}`, { body: { quota: { security_group: used, security_group_rule: rulesUsed } } })).status, 200)
    try {
      assertNeutronError(await demo.request('POST', `${NET}/security-groups`, { body: { security_group: { name: 'one-too-many' } } }), 409, 'OverQuota', "Quota exceeded for resources: ['security_group'].")
      assertNeutronError(await demo.request('POST', `${NET}/security-group-rules`, { body: { security_group_rule: { security_group_id: groupId, direction: 'egress', protocol: 'tcp' } } }), 409, 'OverQuota', "Quota exceeded for resources: ['security_group_rule'].")
    } finally {
      await admin.request('DELETE', `${NET}/quotas/${demo.projectId}`)
    }
  })
})
