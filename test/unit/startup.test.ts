import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import YAML from 'yaml'
import { listenFailure, pidFileOf, redactedDatabaseUrl, runningLifeboatPid, writeCloudsYaml } from '../../src/startup.js'

const account = (userName: string, password: string) => ({ userName, projectName: userName, role: 'member', password })

test('listen failures become one operator line; other errors are left alone', () => {
  const error = (code: string) => Object.assign(new Error(`listen ${code}`), { code })
  assert.match(listenFailure(error('EADDRINUSE'), { host: '127.0.0.1', port: 8774 })!.message, /^port 8774 on 127\.0\.0\.1 is already in use/)
  assert.match(listenFailure(error('EACCES'), { host: '0.0.0.0', port: 80 })!.message, /no permission to listen on 0\.0\.0\.0:80/)
  assert.match(listenFailure(error('EADDRNOTAVAIL'), { host: '10.9.9.9', port: 1 })!.message, /not an address of this machine/)
  assert.equal(listenFailure(error('EPIPE'), { host: '::', port: 1 }), null)
  assert.equal(redactedDatabaseUrl('postgres://u:secret@h:5432/db'), 'postgres://u:***@h:5432/db')
})

test('writeCloudsYaml writes 0600 in one rename, keeps other clouds and refreshes every auth URL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-clouds-'))
  try {
    const file = path.join(dir, 'clouds.yaml')
    writeCloudsYaml(file, 'http://a/identity', 'RegionOne', [account('admin', 'pw1'), account('demo', 'pw2')])
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    writeCloudsYaml(file, 'http://b/identity', 'RegionOne', [account('demo', 'pw3')])
    const clouds = YAML.parse(fs.readFileSync(file, 'utf8')).clouds
    assert.equal(clouds['lifeboat-admin'].auth.password, 'pw1')
    assert.equal(clouds['lifeboat-demo'].auth.password, 'pw3')
    assert.equal(clouds['lifeboat-admin'].auth.auth_url, 'http://b/identity')
    assert.deepEqual(fs.readdirSync(dir), ['clouds.yaml'])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('runningLifeboatPid: a live process named in lifeboat.pid, never a dead one or garbage', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-pid-'))
  try {
    assert.equal(runningLifeboatPid(dir), null)
    fs.writeFileSync(pidFileOf(dir), `${process.pid}\n`)
    assert.equal(runningLifeboatPid(dir), process.pid)
    const child = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => child.once('exit', resolve))
    fs.writeFileSync(pidFileOf(dir), `${child.pid}\n`)
    assert.equal(runningLifeboatPid(dir), null)
    fs.writeFileSync(pidFileOf(dir), 'not a pid')
    assert.equal(runningLifeboatPid(dir), null)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the start summary says how to reach a server: topology, create, floating IP, ssh at 22 + the offset', async () => {
  const { reachServerLines } = await import('../../src/cli/start-summary.js')
  const text = reachServerLines({ fipPortOffset: 10000 }).join('\n')
  assert.match(text, /public .*127\.42\.0\.0\/24/s)
  assert.match(text, /private .*10\.0\.0\.0\/24.*router1/s)
  assert.match(text, /openstack --os-cloud lifeboat-demo server create .*--network private --key-name mykey/)
  assert.match(text, /openstack --os-cloud lifeboat-demo floating ip create public/)
  assert.match(text, /openstack --os-cloud lifeboat-demo server add floating ip vm1 FLOATING_IP/)
  assert.match(text, /ssh -p 10022 root@FLOATING_IP/)
  assert.match(reachServerLines({ fipPortOffset: 20000 }).join('\n'), /ssh -p 20022 /)
})

test('the start summary links the dashboard on the API listener', async () => {
  const { dashboardLine } = await import('../../src/cli/start-summary.js')
  assert.match(dashboardLine('http://127.0.0.1:8774'), /^ {2}dashboard http:\/\/127\.0\.0\.1:8774\/dashboard /)
})
