import { before, test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, createVolume, attachAndWait, waitForStatus } from '../../helpers/compute.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'

// Tempest's server schema modules and what each defines (tempest/lib/api_schema/response/compute/v2_*/servers.py).
const COMMON = ['get_server', 'list_servers_detail', 'list_servers', 'update_server', 'attach_volume', 'show_volume_attachment', 'list_volume_attachments']
const MODULES: Array<[string, string[]]> = [
  ['2.1', [...COMMON, 'create_server_with_admin_pass', 'rescue_server_with_admin_pass', 'rescue_server', 'list_instance_actions', 'show_instance_action', 'get_console_output', 'set_server_metadata', 'list_server_metadata', 'server_actions_common_schema']],
  ...['2.3', '2.6', '2.8', '2.9', '2.16', '2.19'].map((v): [string, string[]] => [v, [...COMMON, 'show_instance_action']]),
  ['2.26', [...COMMON, 'show_instance_action', 'list_tags', 'update_all_tags']],
  ['2.45', [...COMMON, 'list_tags', 'update_all_tags']],
  ...['2.47', '2.48', '2.51', '2.54', '2.57', '2.58', '2.62', '2.63', '2.70', '2.71', '2.73', '2.75', '2.79'].map((v): [string, string[]] => [v, [...COMMON, 'show_instance_action', 'list_tags', 'update_all_tags']]),
]

const minor = (v: string) => Number(v.split('.')[1])

/** The schema Tempest uses for `attr` at microversion `v`: the newest module at or below it that defines it. */
function schemaRef(attr: string, v: string): string {
  const module = [...MODULES].reverse().find(([mv, attrs]) => minor(mv) <= minor(v) && attrs.includes(attr))!
  return `tempest.lib.api_schema.response.compute.v${module[0].replace('.', '_')}.servers:${attr}`
}

const VERSIONS = ['2.1', '2.3', '2.9', '2.16', '2.19', '2.26', '2.47', '2.58', '2.62', '2.63', '2.70', '2.71', '2.73', '2.75', '2.79', '2.84', '2.87']

describeEachDialect('server responses against Tempest\'s schemas, every microversion where they change', (cloud) => {
  let serverId: string
  let volumeId: string
  let stoppedRequestId: string
  before(async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId, metadata: { a: 'b' } })
    serverId = server.id
    volumeId = (await createVolume(cloud().demo, {})).id
    await attachAndWait(cloud().demo, serverId, volumeId)
    await action(cloud().demo, serverId, { 'os-stop': null })
    await waitForStatus(cloud().demo, serverId, 'SHUTOFF')
    stoppedRequestId = (await cloud().demo.request('GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`)).body.instanceActions[0].request_id
  })

  test('show, list, detail, update, volume attachments and instance actions, as member and as admin', { skip: skipWithoutTempest() }, async () => {
    const checks: TempestCheck[] = []
    const check = async (attr: string, v: string, method: string, path: string, session = cloud().demo, body?: unknown) => {
      const res = await session.request(method, path, { microversion: v, body })
      checks.push({ ref: schemaRef(attr, v), status: res.status, body: res.text === '' ? '' : res.body })
    }
    for (const v of VERSIONS) {
      await check('get_server', v, 'GET', `/compute/v2.1/servers/${serverId}`)
      await check('get_server', v, 'GET', `/compute/v2.1/servers/${serverId}`, cloud().admin)
      await check('list_servers_detail', v, 'GET', '/compute/v2.1/servers/detail')
      await check('list_servers_detail', v, 'GET', '/compute/v2.1/servers/detail?all_tenants=1', cloud().admin)
      await check('list_servers', v, 'GET', '/compute/v2.1/servers')
      await check('update_server', v, 'PUT', `/compute/v2.1/servers/${serverId}`, cloud().demo, { server: { name: `renamed-${v}` } })
      await check('list_volume_attachments', v, 'GET', `/compute/v2.1/servers/${serverId}/os-volume_attachments`)
      await check('show_volume_attachment', v, 'GET', `/compute/v2.1/servers/${serverId}/os-volume_attachments/${volumeId}`)
      // Event `details` (2.84) came after Tempest 33's last instance-action schema (v2_79).
      if (minor(v) < 84) {
        await check('show_instance_action', v, 'GET', `/compute/v2.1/servers/${serverId}/os-instance-actions/${stoppedRequestId}`)
        await check('show_instance_action', v, 'GET', `/compute/v2.1/servers/${serverId}/os-instance-actions/${stoppedRequestId}`, cloud().admin)
      }
      if (minor(v) >= 26) await check('list_tags', v, 'GET', `/compute/v2.1/servers/${serverId}/tags`)
    }
    await check('list_instance_actions', '2.1', 'GET', `/compute/v2.1/servers/${serverId}/os-instance-actions`)
    await check('list_server_metadata', '2.1', 'GET', `/compute/v2.1/servers/${serverId}/metadata`)
    const created = await cloud().demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'schema', imageRef: (await cloud().demo.request('GET', `/compute/v2.1/servers/${serverId}`)).body.server.image.id, flavorRef: '1' } } })
    checks.push({ ref: schemaRef('create_server_with_admin_pass', '2.1'), status: created.status, body: created.body })
    await waitForStatus(cloud().demo, created.body.server.id, 'ACTIVE')
    const console = await action(cloud().demo, created.body.server.id, { 'os-getConsoleOutput': { length: 5 } })
    checks.push({ ref: schemaRef('get_console_output', '2.1'), status: console.status, body: console.body })
    const rescue = await action(cloud().demo, created.body.server.id, { rescue: { adminPass: 'pw' } })
    checks.push({ ref: schemaRef('rescue_server_with_admin_pass', '2.1'), status: rescue.status, body: rescue.body })
    await waitForStatus(cloud().demo, created.body.server.id, 'RESCUE')
    const unrescue = await action(cloud().demo, created.body.server.id, { unrescue: null })
    checks.push({ ref: schemaRef('server_actions_common_schema', '2.1'), status: unrescue.status, body: '' })
    assertAllMatchTempestSchemas(checks)
  })
})
