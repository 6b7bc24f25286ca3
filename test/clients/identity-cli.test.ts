import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestCloud, type TestCloud } from '../helpers/cloud.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'

describe('openstack CLI: identity', { skip: skipWithoutOpenstackCli() }, () => {
  let cloud: TestCloud
  before(async () => {
    cloud = await startTestCloud('sqlite')
  })
  after(async () => {
    await cloud?.close()
  })

  test('openstack token issue gives a token for the admin project', async () => {
    const token = await openstackJson(cloud, 'lifeboat-admin', ['token', 'issue'])
    assert.equal(token.project_id, cloud.admin.projectId)
    assert.ok(token.id.length > 20)
  })

  test('openstack catalog list shows every service type', async () => {
    const catalog = await openstackJson<Array<{ Type: string }>>(cloud, 'lifeboat-admin', ['catalog', 'list'])
    assert.deepEqual(catalog.map((c) => c.Type).sort(), ['block-storage', 'compute', 'identity', 'image', 'network', 'placement', 'volumev3'])
  })

  test('admin lists projects; creates a project, a user, grants member; the user gets a token', async () => {
    const projects = await openstackJson<Array<{ Name: string }>>(cloud, 'lifeboat-admin', ['project', 'list'])
    assert.deepEqual(projects.map((p) => p.Name).sort(), ['admin', 'demo'])
    const project = await openstackJson(cloud, 'lifeboat-admin', ['project', 'create', 'cli-team'])
    assert.equal(project.name, 'cli-team')
    const user = await openstackJson(cloud, 'lifeboat-admin', ['user', 'create', '--project', 'cli-team', '--password', 'cli-pw', 'carol'])
    assert.equal(user.name, 'carol')
    const add = await openstack(cloud, 'lifeboat-admin', ['role', 'add', '--user', 'carol', '--project', 'cli-team', 'member'])
    assert.equal(add.code, 0, add.stderr)
    const assignments = await openstackJson<Array<{ Role: string; User: string; Project: string }>>(cloud, 'lifeboat-admin', ['role', 'assignment', 'list', '--names', '--user', 'carol'])
    assert.deepEqual(assignments.map((a) => [a.Role, a.User, a.Project]), [['member', 'carol@Default', 'cli-team@Default']])
    const token = await openstackJson(cloud, '', ['token', 'issue'], {
      OS_AUTH_URL: `${cloud.url}/identity`, OS_USERNAME: 'carol', OS_PASSWORD: 'cli-pw', OS_PROJECT_NAME: 'cli-team',
      OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3',
    })
    assert.equal(token.project_id, project.id)
  })

  test('the demo user is refused admin calls with 403', async () => {
    const result = await openstack(cloud, 'lifeboat-demo', ['user', 'list'])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /HTTP 403|Forbidden|not authorized/i)
  })
})
