import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { generateKeyPairSync } from 'node:crypto'
import { describeEachDialect } from '../../helpers/cloud.js'
import { action, bootServer, createImage, fakeDomain, instanceRow, waitForStatus } from '../../helpers/compute.js'

function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const type = Buffer.from('ssh-ed25519')
  const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), raw])
  return `ssh-ed25519 ${blob.toString('base64')} test@lifeboat`
}

describeEachDialect('rescue: Lifeboat extensions (part B)', (cloud) => {
  let imageId: string
  before(async () => {
    imageId = await createImage(cloud().admin)
  })

  test('lifeboat:key_name puts that key on the rescue config drive; the server\'s own key is back after unrescue', async () => {
    const own = await cloud().demo.request('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'own-key', public_key: sshPublicKey() } } })
    assert.equal(own.status, 200, own.text)
    const rescueKey = await cloud().demo.request('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'rescue-key', public_key: sshPublicKey() } } })
    assert.equal(rescueKey.status, 200, rescueKey.text)
    const server = await bootServer(cloud().demo, { imageRef: imageId, key_name: 'own-key' })
    assert.deepEqual(fakeDomain(cloud(), server.id)!.configDriveKeys, ['own-key'])
    assert.equal((await action(cloud().demo, server.id, { rescue: { 'lifeboat:key_name': 'rescue-key' } })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.deepEqual(fakeDomain(cloud(), server.id)!.configDriveKeys, ['rescue-key'])
    await action(cloud().demo, server.id, { unrescue: null })
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.deepEqual(fakeDomain(cloud(), server.id)!.configDriveKeys, ['own-key'])
  })

  test('an unknown lifeboat:key_name or a bad lifeboat:timeout is 400 and nothing changes', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { rescue: { 'lifeboat:key_name': 'nope' } })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { rescue: { 'lifeboat:timeout': 0 } })).status, 400)
    assert.equal((await action(cloud().demo, server.id, { unrescue: { 'lifeboat:discard': 'yes' } })).status, 400)
    assert.equal((await instanceRow(cloud(), server.id)).vm_state, 'active')
  })

  test('lifeboat:timeout unrescues the server on its own', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    assert.equal((await action(cloud().demo, server.id, { rescue: { 'lifeboat:timeout': 1 } })).status, 200)
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE', { timeoutMs: 8000 })
    const actions = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    assert.equal(actions.body.instanceActions[0].action, 'unrescue')
  })

  test('unrescue with lifeboat:discard restores the root from the snapshot taken before the rescue', async () => {
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    assert.equal((await action(cloud().demo, server.id, { unrescue: { 'lifeboat:discard': true } })).status, 202)
    await waitForStatus(cloud().demo, server.id, 'ACTIVE')
    assert.ok(fakeDomain(cloud(), server.id)!.console.includes('[fake] root restored from the pre-rescue snapshot'))
    const kept = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, kept.id, { rescue: null })
    await waitForStatus(cloud().demo, kept.id, 'RESCUE')
    await action(cloud().demo, kept.id, { unrescue: null })
    await waitForStatus(cloud().demo, kept.id, 'ACTIVE')
    assert.ok(!fakeDomain(cloud(), kept.id)!.console.some((line) => line.includes('restored')))
  })
})

describeEachDialect('rescue_timeout (operator setting)', (cloud) => {
  test('a rescued server is unrescued after rescue_timeout seconds', async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    await action(cloud().demo, server.id, { rescue: null })
    await waitForStatus(cloud().demo, server.id, 'RESCUE')
    await waitForStatus(cloud().demo, server.id, 'ACTIVE', { timeoutMs: 8000 })
  })
}, { compute: { rescueTimeoutSeconds: 1 } })

describeEachDialect('a rescue that fails in the driver', (cloud) => {
  test('puts the server back as it was (never ERROR) with the reason in the action event', async () => {
    const imageId = await createImage(cloud().admin)
    const server = await bootServer(cloud().demo, { imageRef: imageId })
    const res = await action(cloud().demo, server.id, { rescue: null })
    assert.equal(res.status, 200)
    const deadline = Date.now() + 5000
    let row = await instanceRow(cloud(), server.id)
    while (Date.now() < deadline && row.task_state !== null) {
      await new Promise((r) => setTimeout(r, 20))
      row = await instanceRow(cloud(), server.id)
    }
    assert.equal(row.vm_state, 'active')
    assert.equal(row.task_state, null)
    assert.equal(fakeDomain(cloud(), server.id)!.powerState, 1, 'the guest runs again')
    const actions = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)
    const rescue = actions.body.instanceActions[0]
    assert.equal(rescue.action, 'rescue')
    assert.equal(rescue.message, 'Error')
    const show = await cloud().admin.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rescue.request_id}`, { microversion: '2.84' })
    const boot = show.body.instanceAction.events.find((e: { event: string }) => e.event === 'lifeboat_rescue_boot')
    assert.equal(boot.result, 'Error')
    assert.match(boot.details, /fake rescue failed on purpose/)
    const view = await cloud().demo.request('GET', `/compute/v2.1/servers/${server.id}`)
    assert.equal(view.body.server.status, 'ACTIVE')
  })
}, { agent: { fakeFailOperations: ['rescue'] } })
