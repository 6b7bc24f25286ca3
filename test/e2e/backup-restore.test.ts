import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import YAML from 'yaml'
import { freePort, killHard, runLifeboat, spawnLifeboat, waitAnswering, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { keystoneLogin } from '../../src/util/keystone-login.js'

// `lifeboat backup` while the all-in-one runs and writes, `lifeboat restore` once it is stopped.
const ENV = { LIFEBOAT_DRIVER: 'fake', LIFEBOAT_LOG_LEVEL: 'warn' }
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-backup-'))
const dataDir = path.join(dir, 'data')
const children: WatchedProcess[] = []

after(async () => {
  for (const run of children) await killHard(run.child)
  fs.rmSync(dir, { recursive: true, force: true })
})

async function start(port: number): Promise<WatchedProcess> {
  const run = await spawnLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV)
  children.push(run)
  await waitAnswering(run, port)
  return run
}

async function stop(run: WatchedProcess): Promise<void> {
  run.child.kill('SIGTERM')
  await run.exited
}

/** The demo user's keypair names, and a function that adds one. */
async function demoSession(port: number) {
  const password = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8')).clouds['lifeboat-demo'].auth.password
  const { token } = await keystoneLogin(`http://127.0.0.1:${port}/identity`, { userName: 'demo', password, projectName: 'demo' })
  const call = (method: string, url: string, body?: unknown) => fetch(`http://127.0.0.1:${port}/compute/v2.1${url}`, {
    method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  })
  return {
    async keypairs(): Promise<string[]> {
      return ((await (await call('GET', '/os-keypairs')).json()) as { keypairs: Array<{ keypair: { name: string } }> }).keypairs.map((k) => k.keypair.name).sort()
    },
    async addKeypair(name: string): Promise<void> {
      const res = await call('POST', '/os-keypairs', { keypair: { name } })
      assert.equal(res.status, 200, await res.text())
    },
  }
}

test('a backup taken while Lifeboat runs and writes restores to exactly what it held', async () => {
  const port = await freePort()
  let run = await start(port)
  let demo = await demoSession(port)
  await demo.addKeypair('before-backup')
  const backup = path.join(dir, 'lifeboat-backup.db')
  // Writes go on during the copy: the online backup must still be a consistent database.
  let writing = true
  const writer = (async () => {
    for (let i = 0; writing; i++) await demo.addKeypair(`during-${i}`)
  })()
  const made = await runLifeboat(['backup', backup, '--data-dir', dataDir], ENV)
  writing = false
  await writer
  assert.equal(made.code, 0, made.stderr)
  assert.match(made.stdout, /Backed up .* to .*lifeboat-backup\.db/)
  const heldAtBackup = (await demo.keypairs()).length

  const refused = await runLifeboat(['restore', backup, '--data-dir', dataDir], ENV)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr.trim(), /^lifeboat: Lifeboat \(pid \d+\) is running on .*; stop it before restoring$/)

  await demo.addKeypair('after-backup')
  await stop(run)
  const restored = await runLifeboat(['restore', backup, '--data-dir', dataDir], ENV)
  assert.equal(restored.code, 0, restored.stderr)
  assert.match(restored.stdout, /The database it replaced is kept as .*before-restore-/)

  run = await start(port)
  demo = await demoSession(port)
  const names = await demo.keypairs()
  assert.ok(names.includes('before-backup'))
  assert.ok(!names.includes('after-backup'))
  assert.ok(names.length <= heldAtBackup)
  await stop(run)
})

test('restore refuses a file that is not an intact Lifeboat database; backup and restore point PostgreSQL users to pg_dump', async () => {
  const junk = path.join(dir, 'junk.db')
  fs.writeFileSync(junk, 'this is not a database'.repeat(100))
  const refused = await runLifeboat(['restore', junk, '--data-dir', dataDir], ENV)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr.trim(), /^lifeboat: .*junk\.db is not an SQLite database/)
  const pg = { ...ENV, LIFEBOAT_DATABASE_URL: 'postgres://lifeboat:pw@127.0.0.1:1/lifeboat' }
  const dump = await runLifeboat(['backup', path.join(dir, 'x.db'), '--data-dir', dataDir], pg)
  assert.equal(dump.code, 1)
  assert.match(dump.stderr, /PostgreSQL: use pg_dump/)
  assert.equal(dump.stderr.trim().split('\n').length, 1)
})
