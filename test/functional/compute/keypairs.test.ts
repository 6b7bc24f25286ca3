import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { describeEachDialect } from '../../helpers/cloud.js'
import { assertAllMatchTempestSchemas, skipWithoutTempest, type TempestCheck } from '../../helpers/tempest-schema.js'

const S = 'tempest.lib.api_schema.response.compute'
const C = '/compute/v2.1'
// An ed25519 key made with ssh-keygen; md5 fingerprint as `ssh-keygen -l -E md5` prints it.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMFopoM+eDox5WG/WaW6DoEMf3GBuadYMo1oFn5Zv53m test@example'

function md5Fingerprint(publicKey: string): string {
  const blob = Buffer.from(publicKey.split(' ')[1]!, 'base64')
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':')
}

describeEachDialect('compute keypairs', (cloud) => {
  test('generate: the private key comes back once (PEM) and ssh-keygen derives the stored public key from it', async () => {
    const res = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'gen-1' } } })
    assert.equal(res.status, 200)
    const k = res.body.keypair
    assert.match(k.private_key, /^-----BEGIN RSA PRIVATE KEY-----/)
    assert.match(k.public_key, /^ssh-rsa \S+ Generated-by-Nova$/)
    assert.equal(k.user_id, cloud().demo.userId)
    assert.equal(k.fingerprint, md5Fingerprint(k.public_key))
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kp-'))
    const file = path.join(dir, 'id')
    fs.writeFileSync(file, k.private_key, { mode: 0o600 })
    try {
      const derived = execFileSync('ssh-keygen', ['-y', '-f', file]).toString().trim()
      assert.equal(derived.split(' ')[1], k.public_key.split(' ')[1])
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const shown = await cloud().demo.request('GET', `${C}/os-keypairs/gen-1`)
    assert.equal(shown.body.keypair.private_key, undefined)
    assert.equal(shown.body.keypair.public_key, k.public_key)
    assert.equal(typeof shown.body.keypair.id, 'number')
    assert.equal(shown.body.keypair.deleted, false)
  })

  test('import: fingerprint is the md5 of the key blob; a bad key is 400; a taken name is 409', async () => {
    const res = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'imported', public_key: ED25519, type: 'ssh' } }, microversion: '2.2' })
    assert.equal(res.status, 201)
    assert.equal(res.body.keypair.type, 'ssh')
    assert.equal(res.body.keypair.fingerprint, md5Fingerprint(ED25519))
    assert.equal(res.body.keypair.private_key, undefined)
    for (const bad of ['not a key', 'ssh-rsa AAAA', 'ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQAB', '']) {
      const r = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'bad', public_key: bad } } })
      assert.equal(r.status, 400, bad)
      assert.equal(r.body.badRequest.message, 'Keypair data is invalid: failed to generate fingerprint')
    }
    const dup = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'imported', public_key: ED25519 } } })
    assert.equal(dup.status, 409)
    assert.equal(dup.body.conflictingRequest.message, "Key pair 'imported' already exists.")
  })

  test('names follow Nova: letters, digits, "_", "-", spaces; no leading or trailing space', async () => {
    for (const name of ['bad/name', ' lead', 'trail ', '', 'x'.repeat(256), 'dots.not']) {
      const r = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name, public_key: ED25519 } } })
      assert.equal(r.status, 400, name)
      assert.ok(r.body.badRequest)
    }
    const ok = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'my key_1-a', public_key: ED25519 } } })
    assert.equal(ok.status, 200)
    assert.equal((await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'k', type: 'ssh' } }, microversion: '2.1' })).status, 400)
    assert.equal((await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'k', type: 'rsa' } }, microversion: '2.2' })).status, 400)
  })

  test('keypairs belong to the user: another user gets 404; admins reach them with user_id from 2.10', async () => {
    await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'mine', public_key: ED25519 } } })
    const other = await cloud().admin.request('GET', `${C}/os-keypairs/mine`)
    assert.equal(other.status, 404)
    assert.equal(other.body.itemNotFound.message, `Keypair mine not found for user ${cloud().admin.userId}`)
    const adminList = await cloud().admin.request('GET', `${C}/os-keypairs?user_id=${cloud().demo.userId}`, { microversion: '2.10' })
    assert.ok(adminList.body.keypairs.some((k: any) => k.keypair.name === 'mine'))
    const adminShow = await cloud().admin.request('GET', `${C}/os-keypairs/mine?user_id=${cloud().demo.userId}`, { microversion: '2.10' })
    assert.equal(adminShow.status, 200)
    const demoPeek = await cloud().demo.request('GET', `${C}/os-keypairs?user_id=${cloud().admin.userId}`, { microversion: '2.10' })
    assert.equal(demoPeek.status, 403)
    const forOther = await cloud().admin.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'given', public_key: ED25519, user_id: cloud().demo.userId } }, microversion: '2.10' })
    assert.equal(forOther.status, 201)
    assert.equal(forOther.body.keypair.user_id, cloud().demo.userId)
    const demoForOther = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'x', public_key: ED25519, user_id: cloud().admin.userId } }, microversion: '2.10' })
    assert.equal(demoForOther.status, 403)
    assert.equal((await cloud().admin.request('DELETE', `${C}/os-keypairs/mine`)).status, 404)
    assert.equal((await cloud().demo.request('GET', `${C}/os-keypairs/mine`)).status, 200)
  })

  test('list pages by name from 2.35 with a next link; delete is 202 before 2.2 and 204 after', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await cloud().admin.request('POST', `${C}/os-keypairs`, { body: { keypair: { name, public_key: ED25519 } } })
    }
    const page = await cloud().admin.request('GET', `${C}/os-keypairs?limit=2`, { microversion: '2.35' })
    assert.deepEqual(page.body.keypairs.map((k: any) => k.keypair.name), ['page-a', 'page-b'])
    assert.match(page.body.keypairs_links[0].href, /os-keypairs\?limit=2&marker=page-b$/)
    const next = await cloud().admin.request('GET', `${C}/os-keypairs?limit=2&marker=page-b`, { microversion: '2.35' })
    assert.deepEqual(next.body.keypairs.map((k: any) => k.keypair.name), ['page-c'])
    assert.equal((await cloud().admin.request('GET', `${C}/os-keypairs?marker=zzz`, { microversion: '2.35' })).status, 400)
    const unpaged = await cloud().admin.request('GET', `${C}/os-keypairs?limit=1`, { microversion: '2.34' })
    assert.equal(unpaged.body.keypairs.length, 3)
    assert.equal((await cloud().admin.request('DELETE', `${C}/os-keypairs/page-a`)).status, 202)
    assert.equal((await cloud().admin.request('DELETE', `${C}/os-keypairs/page-b`, { microversion: '2.2' })).status, 204)
    const gone = await cloud().admin.request('DELETE', `${C}/os-keypairs/page-b`, { microversion: '2.2' })
    assert.equal(gone.status, 404)
  })

  test('responses match Tempest schemas (v2_1 and v2_2)', { skip: skipWithoutTempest() }, async () => {
    const checks: TempestCheck[] = []
    const gen = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'schema-1' } } })
    checks.push({ ref: `${S}.v2_1.keypairs:create_keypair`, status: gen.status, body: gen.body })
    const gen22 = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'schema-2', type: 'ssh' } }, microversion: '2.2' })
    checks.push({ ref: `${S}.v2_2.keypairs:create_keypair`, status: gen22.status, body: gen22.body })
    const imp = await cloud().demo.request('POST', `${C}/os-keypairs`, { body: { keypair: { name: 'schema-3', public_key: ED25519 } }, microversion: '2.87' })
    checks.push({ ref: `${S}.v2_2.keypairs:create_keypair`, status: imp.status, body: imp.body })
    for (const [mv, mod] of [['2.1', 'v2_1'], ['2.2', 'v2_2'], ['2.35', 'v2_2'], ['2.87', 'v2_2']] as const) {
      const show = await cloud().demo.request('GET', `${C}/os-keypairs/schema-1`, { microversion: mv })
      checks.push({ ref: `${S}.${mod}.keypairs:get_keypair`, status: show.status, body: show.body })
      const list = await cloud().demo.request('GET', `${C}/os-keypairs`, { microversion: mv })
      checks.push({ ref: `${S}.${mod}.keypairs:list_keypairs`, status: list.status, body: list.body })
    }
    const del = await cloud().demo.request('DELETE', `${C}/os-keypairs/schema-1`)
    checks.push({ ref: `${S}.v2_1.keypairs:delete_keypair`, status: del.status, body: del.text })
    const del22 = await cloud().demo.request('DELETE', `${C}/os-keypairs/schema-2`, { microversion: '2.2' })
    checks.push({ ref: `${S}.v2_2.keypairs:delete_keypair`, status: del22.status, body: del22.text })
    assertAllMatchTempestSchemas(checks)
  })
})
