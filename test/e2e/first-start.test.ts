import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import SqliteDatabase from 'better-sqlite3'
import YAML from 'yaml'
import { freePort, killHard, runLifeboat, spawnLifeboat, waitAnswering, type WatchedProcess } from '../helpers/lifeboat-process.js'
import { waitUntil } from '../helpers/wait-until.js'
import { keystoneLogin } from '../../src/util/keystone-login.js'

// First start and restarts as an operator meets them: real `lifeboat` processes on a data folder.
const ENV = { LIFEBOAT_DRIVER: 'fake', LIFEBOAT_LOG_LEVEL: 'warn' }
const folders: string[] = []
const running: WatchedProcess[] = []

function newDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-first-start-'))
  folders.push(dir)
  return path.join(dir, 'data')
}

after(async () => {
  for (const run of running) await killHard(run.child)
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true })
})

/** Users in the data folder's database (0 when there is no database yet). */
function userCount(dataDir: string): number {
  const file = path.join(dataDir, 'lifeboat.db')
  if (!fs.existsSync(file)) return 0
  const db = new SqliteDatabase(file, { readonly: true })
  try {
    const hasUsers = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get()
    return hasUsers ? (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n : 0
  } finally {
    db.close()
  }
}

/** The admin password in the data folder's clouds.yaml. */
function cloudsPassword(dataDir: string, user = 'admin'): string {
  const doc = YAML.parse(fs.readFileSync(path.join(dataDir, 'clouds.yaml'), 'utf8'))
  return doc.clouds[`lifeboat-${user}`].auth.password
}

/** Asserts a failed command said one line on stderr (no stack trace) and exited 1. */
function assertOneLineFailure(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`)
  assert.match(lines[0]!, /^lifeboat: /)
  assert.match(lines[0]!, pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
}

/** Starts the all-in-one on the data folder and waits until it answers. */
async function start(dataDir: string, port: number): Promise<WatchedProcess> {
  const run = await spawnLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV)
  running.push(run)
  await waitAnswering(run, port)
  // Requests are answered once the start is done; its summary follows on stdout.
  // Its last line names either the clouds file's first command or the way back in.
  await waitUntil(() => /openstack token issue|reset-password admin --data-dir .*\n/.test(run.stdout()), { timeoutMs: 10_000, intervalMs: 20, what: () => `no whole start summary: ${run.stdout()}` })
  return run
}

async function stop(run: WatchedProcess): Promise<void> {
  run.child.kill('SIGTERM')
  await run.exited
}

async function canLogin(port: number, password: string, user = 'admin'): Promise<boolean> {
  return keystoneLogin(`http://127.0.0.1:${port}/identity`, { userName: user, password, projectName: user }).then(() => true, () => false)
}

describe('first start and restarts', () => {
  test('port in use: one line, exit 1, no account created; the next start shows the passwords and writes clouds.yaml', async () => {
    const dataDir = newDataDir()
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as net.AddressInfo).port
    const failed = await runLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV)
    await new Promise((resolve) => blocker.close(resolve))
    assertOneLineFailure(failed, new RegExp(`port ${port} .*already in use`))
    assert.equal(userCount(dataDir), 0)
    assert.equal(fs.existsSync(path.join(dataDir, 'clouds.yaml')), false)

    const run = await start(dataDir, port)
    assert.match(run.stdout(), /First start: created these accounts/)
    const shown = /admin\s+project admin\s+role admin\s+password (\S+)/.exec(run.stdout())?.[1]
    assert.equal(shown, cloudsPassword(dataDir))
    assert.equal(fs.statSync(path.join(dataDir, 'clouds.yaml')).mode & 0o777, 0o600)
    assert.ok(await canLogin(port, shown!))
    await stop(run)
  })

  test('a data folder that cannot be written, or created: one line, exit 1', async (t) => {
    const parent = path.dirname(newDataDir())
    fs.chmodSync(parent, 0o755)
    const file = path.join(parent, 'a-file')
    fs.writeFileSync(file, '')
    assertOneLineFailure(await runLifeboat(['--data-dir', path.join(file, 'data'), '--port', String(await freePort())], ENV), /cannot create the data folder/)

    // Permissions do not stop root: run the command as nobody where we are root.
    const asRoot = process.getuid?.() === 0
    if (process.platform !== 'linux') return t.skip('needs Linux permissions')
    const readOnly = path.join(parent, 'read-only')
    fs.mkdirSync(readOnly, { mode: 0o555 })
    fs.chmodSync(readOnly, 0o555)
    const result = await runLifeboat(['--data-dir', readOnly, '--port', String(await freePort())], { ...ENV, HOME: parent }, asRoot ? { uid: 65534, gid: 65534 } : {})
    assertOneLineFailure(result, /data folder .* is not writable/)
    assert.deepEqual(fs.readdirSync(readOnly), [])
  })

  test('a bootstrap that fails after creating the accounts leaves none; the next start works', async () => {
    const dataDir = newDataDir()
    // clouds.yaml cannot be written (a folder is in its place): the accounts' transaction must roll back.
    fs.mkdirSync(path.join(dataDir, 'clouds.yaml'), { recursive: true })
    const port = await freePort()
    const failed = await runLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV)
    assertOneLineFailure(failed, /EISDIR/)
    assert.equal(userCount(dataDir), 0)

    fs.rmSync(path.join(dataDir, 'clouds.yaml'), { recursive: true })
    const run = await start(dataDir, port)
    assert.match(run.stdout(), /First start: created these accounts/)
    assert.ok(await canLogin(port, cloudsPassword(dataDir)))
    await stop(run)
  })

  test('killed -9 at any point of a first start: the folder holds all of it or none of it, and the next start lets the operator in', async () => {
    const dataDir = newDataDir()
    const port = await freePort()
    for (const delayMs of [150, 400, 700, 1000]) {
      const run = await spawnLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV)
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      await killHard(run.child)
      const users = userCount(dataDir)
      const clouds = fs.existsSync(path.join(dataDir, 'clouds.yaml'))
      assert.ok(users === 0 || clouds, `killed after ${delayMs} ms: ${users} users but no clouds.yaml`)
      if (userCount(dataDir) > 0) break
    }
    const run = await start(dataDir, port)
    const firstStart = /First start/.test(run.stdout())
    assert.ok(firstStart || /Clouds file: /.test(run.stdout()))
    assert.ok(await canLogin(port, cloudsPassword(dataDir)))
    await stop(run)
  })

  test('clouds.yaml lost: the start says so (never names a missing file); reset-password recovers the account while Lifeboat runs', async () => {
    const dataDir = newDataDir()
    const port = await freePort()
    await stop(await start(dataDir, port))
    const oldPassword = cloudsPassword(dataDir)
    fs.rmSync(path.join(dataDir, 'clouds.yaml'))
    const run = await start(dataDir, port)
    assert.doesNotMatch(run.stdout(), /Clouds file: /)
    assert.match(run.stdout(), /No clouds file at .*reset-password admin/s)

    const reset = await runLifeboat(['reset-password', 'admin', '--data-dir', dataDir], ENV)
    assert.equal(reset.code, 0, reset.stderr)
    const newPassword = /New password of admin: (\S+)/.exec(reset.stdout)?.[1]
    assert.ok(newPassword, reset.stdout)
    assert.equal(cloudsPassword(dataDir), newPassword)
    assert.equal(fs.statSync(path.join(dataDir, 'clouds.yaml')).mode & 0o777, 0o600)
    assert.ok(await canLogin(port, newPassword))
    assert.equal(await canLogin(port, oldPassword), false)

    const given = await runLifeboat(['reset-password', 'demo', '--password', 'chosen-by-operator', '--data-dir', dataDir], ENV)
    assert.equal(given.code, 0, given.stderr)
    assert.doesNotMatch(given.stdout, /chosen-by-operator/)
    assert.ok(await canLogin(port, 'chosen-by-operator', 'demo'))
    assert.equal(cloudsPassword(dataDir, 'demo'), 'chosen-by-operator')
    assertOneLineFailure(await runLifeboat(['reset-password', 'nobody-here', '--data-dir', dataDir], ENV), /no user nobody-here/)
    await stop(run)
  })

  test('a database from a newer Lifeboat, or one that cannot be reached: one line, exit 1', async () => {
    const dataDir = newDataDir()
    const port = await freePort()
    await stop(await start(dataDir, port))
    const db = new SqliteDatabase(path.join(dataDir, 'lifeboat.db'))
    db.prepare("INSERT INTO kysely_migration (name, timestamp) VALUES ('2099-01-01-001-from-the-future', '2099-01-01T00:00:00.000Z')").run()
    db.close()
    assertOneLineFailure(await runLifeboat(['--data-dir', dataDir, '--port', String(port)], ENV), /newer Lifeboat .*2099-01-01-001-from-the-future/)

    const unreachable = await runLifeboat(['--data-dir', newDataDir(), '--port', String(port)], { ...ENV, LIFEBOAT_DATABASE_URL: 'postgres://lifeboat:secret-pw@127.0.0.1:1/lifeboat' })
    assertOneLineFailure(unreachable, /cannot reach the database postgres:\/\/lifeboat:\*\*\*@127\.0\.0\.1:1/)
    assert.doesNotMatch(unreachable.stderr, /secret-pw/)
  })
})
