import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import YAML from 'yaml'
import { login } from '../helpers/cloud.js'
import { action, createImage, waitForStatus } from '../helpers/compute.js'
import { freePort, killHard, startLifeboatProcess } from '../helpers/lifeboat-process.js'

/**
 * No secret at rest or in a log line: a workload at log level `trace` that
 * handles every kind of secret (server and rescue admin passwords, a
 * generated keypair's private key, tokens, a new user's password), then the
 * log and the SQLite files (database and WAL, as bytes) are searched for each.
 */
test('no password, token or private key in the trace log or the database files', { timeout: 120_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-secrets-'))
  const port = await freePort()
  const chunks: Buffer[] = []
  const env = { LIFEBOAT_DRIVER: 'fake', LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_LOG_LEVEL: 'trace' }
  let child: ChildProcess | undefined
  try {
    child = await startLifeboatProcess(env, port, (chunk) => chunks.push(chunk))
    const base = `http://127.0.0.1:${port}`
    const clouds = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8'))
    const adminPassword: string = clouds.clouds['lifeboat-admin'].auth.password
    const admin = await login(base, 'admin', adminPassword, 'admin')
    const secrets: Record<string, string> = { 'admin token': admin.token }

    secrets['server adminPass'] = 'Srv-AdminPass-5d1c9e7a'
    const imageId = await createImage(admin)
    const created = await admin.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'secretive', imageRef: imageId, flavorRef: '1', adminPass: secrets['server adminPass'] } } })
    assert.equal(created.status, 202, created.text)
    const serverId = created.body.server.id
    await waitForStatus(admin, serverId, 'ACTIVE')

    secrets['rescue adminPass'] = 'Rescue-Pass-8f3b2a61'
    const rescued = await action(admin, serverId, { rescue: { adminPass: secrets['rescue adminPass'] } })
    assert.equal(rescued.status, 200, rescued.text)
    await waitForStatus(admin, serverId, 'RESCUE')
    // A rescue whose password Lifeboat generates: the one answered must not be kept either.
    assert.equal((await action(admin, serverId, { unrescue: null })).status, 202)
    await waitForStatus(admin, serverId, 'ACTIVE')
    const generated = await action(admin, serverId, { rescue: null })
    assert.equal(generated.status, 200, generated.text)
    if (generated.body.adminPass) secrets['generated rescue adminPass'] = generated.body.adminPass
    await waitForStatus(admin, serverId, 'RESCUE')

    const keypair = await admin.request('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'generated' } } })
    assert.equal(keypair.status, 200, keypair.text)
    // One line of the PEM body: any copy of the key contains it.
    secrets['private key'] = (keypair.body.keypair.private_key as string).split('\n')[5]!

    secrets['user password'] = 'User-Password-2e6f0c44'
    const user = await admin.request('POST', '/identity/v3/users', { body: { user: { name: 'secret-keeper', password: secrets['user password'] } } })
    assert.equal(user.status, 201, user.text)
    const projects = await admin.request('GET', '/identity/v3/projects?name=demo')
    const demoProject = projects.body.projects[0].id
    const roles = await admin.request('GET', '/identity/v3/roles?name=member')
    assert.equal((await admin.request('PUT', `/identity/v3/projects/${demoProject}/users/${user.body.user.id}/roles/${roles.body.roles[0].id}`)).status, 204)
    const keeper = await login(base, 'secret-keeper', secrets['user password'], 'demo')
    secrets['user token'] = keeper.token
    assert.equal((await keeper.request('GET', '/compute/v2.1/servers')).status, 200)

    await killHard(child)
    child = undefined
    // The log: pino's JSON lines (the first start's banner shows the generated accounts to the operator on purpose).
    const log = Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line.startsWith('{')).join('\n')
    assert.ok(log.includes('"level":10') || log.includes('"level":20'), 'the log was written at trace/debug level')
    const files = fs.readdirSync(dataDir).filter((name) => name.startsWith('lifeboat.db'))
    assert.ok(files.includes('lifeboat.db'))
    const database = Buffer.concat(files.map((name) => fs.readFileSync(path.join(dataDir, name))))
    for (const [what, secret] of Object.entries({ ...secrets, 'admin password': adminPassword })) {
      assert.equal(log.includes(secret), false, `the log contains the ${what}`)
      assert.equal(database.includes(Buffer.from(secret)), false, `the database files contain the ${what}`)
    }
  } finally {
    if (child) await killHard(child)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
