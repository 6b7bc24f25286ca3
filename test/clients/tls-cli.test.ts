import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { loadConfig, type ConfigInput } from '../../src/config.js'
import { StartupError, startLifeboat, type RunningLifeboat } from '../../src/server.js'
import { ADMIN_PASSWORD, DEMO_PASSWORD, type TestCloud } from '../helpers/cloud.js'
import { loginOver, requestJson } from '../helpers/https-client.js'
import { openstack, openstackJson, skipWithoutOpenstackCli } from '../helpers/openstack-cli.js'
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js'
import { waitUntil } from '../helpers/wait-until.js'

/** An all-in-one (embedded agent on the fake driver) serving TLS from `certs`. */
async function startTlsCloud(certs: TestCerts, overrides: ConfigInput = {}): Promise<RunningLifeboat> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tls-cloud-'))
  const config = loadConfig({
    host: '127.0.0.1', port: 0, consolePort: 0, dataDir, logLevel: 'silent', agent: { driver: 'fake' },
    tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: certs.caCert,
  }, overrides)
  return startLifeboat(config, { logger: false, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD } })
}

async function stopCloud(running: RunningLifeboat | undefined): Promise<void> {
  if (!running) return
  await running.close()
  fs.rmSync(running.config.dataDir, { recursive: true, force: true })
}

describe('TLS start checks', () => {
  let certs: TestCerts
  before(() => {
    certs = makeTestCerts()
  })
  after(() => certs?.remove())

  test('half a TLS setting, or a file that cannot be read, stops the start before the data folder exists', async () => {
    const dataDir = path.join(certs.dir, 'never-made')
    for (const [tls, message] of [
      [{ tlsCert: certs.serverCert }, /--tls-cert and --tls-key go together/],
      [{ tlsCert: certs.serverCert, tlsKey: path.join(certs.dir, 'gone.key') }, /cannot read the TLS key .*gone\.key: ENOENT/],
      [{ tlsCert: certs.serverCert, tlsKey: certs.selfSignedKey }, /does not fit the certificate/],
      [{ tlsCert: certs.serverCert, tlsKey: certs.serverKey, publicUrl: 'http://cloud.example:8774' }, /the public URL http:\/\/cloud\.example:8774 is http but the listeners serve TLS/],
    ] as const) {
      const config = loadConfig({ host: '127.0.0.1', port: 0, consolePort: 0, dataDir, logLevel: 'silent', agent: { driver: 'fake' }, ...tls })
      await assert.rejects(startLifeboat(config, { logger: false, embeddedAgent: false }), (error: Error) => error instanceof StartupError && message.test(error.message))
      assert.equal(fs.existsSync(dataDir), false)
    }
  })
})

describe('TLS: the all-in-one serves HTTPS and the openstack CLI trusts its CA', { skip: skipWithoutOpenstackCli() }, () => {
  let certs: TestCerts
  let running: RunningLifeboat
  let ca: string
  /** The server the CLI booted (its console is read over WSS). */
  let booted: { id: string; projectId: string } | null = null
  before(async () => {
    certs = makeTestCerts()
    ca = fs.readFileSync(certs.caCert, 'utf8')
    // A known console port (0 would hide it from the test).
    const { freePort } = await import('../helpers/lifeboat-process.js')
    running = await startTlsCloud(certs, { consolePort: await freePort() })
  })
  after(async () => {
    await stopCloud(running)
    certs?.remove()
  })

  test('https URL and catalog, clouds.yaml with cacert, plain HTTP refused', async () => {
    assert.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/)
    assert.deepEqual(running.tls, { certFile: certs.serverCert, caFile: certs.caCert })
    const { body } = await loginOver(running.url, ca, 'demo', DEMO_PASSWORD, 'demo')
    const urls = body.token.catalog.flatMap((service: any) => service.endpoints.map((e: any) => e.url as string))
    assert.ok(urls.length >= 5)
    for (const url of urls) assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\//)
    const clouds = YAML.parse(fs.readFileSync(running.cloudsYamlPath, 'utf8')).clouds
    for (const name of ['lifeboat-admin', 'lifeboat-demo']) {
      assert.equal(clouds[name].cacert, certs.caCert)
      assert.match(clouds[name].auth.auth_url, /^https:\/\//)
    }
    const plainUrl = running.url.replace(/^https:/, 'http:')
    await assert.rejects(requestJson(`${plainUrl}/compute/v2.1`))
    // Nor does a client that does not trust the CA get an answer.
    await assert.rejects(requestJson(`${running.url}/compute/v2.1`), /self[- ]signed|unable to (?:verify|get)/i)
  })

  test('the console proxy serves HTTPS and WSS with the same certificate, and no plain HTTP', async () => {
    const port = running.config.consolePort
    const page = await requestJson(`https://127.0.0.1:${port}/vnc_auto.html`, { ca })
    assert.ok(page.status === 200 || page.status === 404, `status ${page.status}`)
    await assert.rejects(requestJson(`http://127.0.0.1:${port}/vnc_auto.html`))
    // A bad token: upgraded over TLS, then closed without data (Nova's behaviour).
    const { WebSocket } = await import('ws')
    const socket = new WebSocket(`wss://127.0.0.1:${port}/?token=not-a-token`, ['binary'], { ca })
    const opened = await new Promise<boolean>((resolve, reject) => {
      socket.once('open', () => resolve(true))
      socket.once('error', reject)
    })
    assert.equal(opened, true)
    const received: unknown[] = []
    socket.on('message', (data) => received.push(data))
    await new Promise((resolve) => socket.once('close', resolve))
    assert.deepEqual(received, [])
    const untrusted = new WebSocket(`wss://127.0.0.1:${port}/?token=not-a-token`, ['binary'])
    await assert.rejects(new Promise((resolve, reject) => {
      untrusted.once('open', resolve)
      untrusted.once('error', reject)
    }), /self[- ]signed|unable to (?:verify|get)/i)
  })

  test('openstack through clouds.yaml and with --os-cacert boots a server on the embedded agent; without the CA it fails', async () => {
    const cloud = { running } as unknown as TestCloud
    assert.equal((await openstack(cloud, 'lifeboat-admin', ['server', 'list'])).code, 0)
    const image = path.join(certs.dir, 'tiny.raw')
    fs.writeFileSync(image, Buffer.alloc(1024 * 1024))
    const created = await openstack(cloud, 'lifeboat-admin', ['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--public', '--file', image, 'tls-img'])
    assert.equal(created.code, 0, created.stderr)
    // No clouds file: the OS_* variables and --os-cacert, as a user of another machine would.
    const env = {
      OS_CLIENT_CONFIG_FILE: path.join(certs.dir, 'none.yaml'), OS_AUTH_URL: `${running.url}/identity`, OS_USERNAME: 'demo', OS_PASSWORD: DEMO_PASSWORD,
      OS_PROJECT_NAME: 'demo', OS_USER_DOMAIN_NAME: 'Default', OS_PROJECT_DOMAIN_NAME: 'Default', OS_IDENTITY_API_VERSION: '3',
    }
    const server = await openstackJson(cloud, '', ['--os-cacert', certs.caCert, 'server', 'create', '--image', 'tls-img', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'tls-vm'], env)
    assert.equal(server.status, 'ACTIVE')
    booted = { id: server.id, projectId: server.project_id }
    const untrusted = await openstack(cloud, '', ['server', 'list'], env)
    assert.notEqual(untrusted.code, 0)
    assert.match(untrusted.stderr, /SSL|certificate/i)
  })

  test('console URLs say wss/https, and a serial console over WSS works: the embedded agent dials back over TLS and the guest echoes', async (t) => {
    if (!booted) return t.skip('no server was booted')
    const port = running.consolePort
    const cloud = { running } as unknown as TestCloud
    const serial = await openstackJson(cloud, 'lifeboat-demo', ['console', 'url', 'show', '--serial', booted.id])
    const novnc = await openstackJson(cloud, 'lifeboat-demo', ['console', 'url', 'show', '--novnc', booted.id])
    assert.match(String(novnc.url), new RegExp(`^https://127\\.0\\.0\\.1:${port}/vnc_auto\\.html\\?path=%3Ftoken%3D`))
    const url = String(serial.url)
    assert.match(url, new RegExp(`^wss://127\\.0\\.0\\.1:${port}/\\?token=`))
    const { WebSocket } = await import('ws')
    const socket = new WebSocket(url, ['binary'], { ca })
    let seen = ''
    socket.on('message', (data: Buffer) => { seen += data.toString() })
    await new Promise((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    try {
      socket.send(Buffer.from('hello over tls\r'))
      await waitUntil(() => seen.includes('hello over tls'), { timeoutMs: 15_000, intervalMs: 50, what: () => `no echo on the serial console: ${JSON.stringify(seen)}` })
    } finally {
      socket.close()
    }
  })
})

describe('TLS: a remote agent verifies the control plane', () => {
  let certs: TestCerts
  let running: RunningLifeboat
  before(async () => {
    certs = makeTestCerts()
    running = await startTlsCloud(certs)
  })
  after(async () => {
    await stopCloud(running)
    certs?.remove()
  })

  test('with --ca-file it registers and runs a server; without it, or with another CA, it refuses to talk', async () => {
    const { spawnLifeboat, runLifeboat } = await import('../helpers/lifeboat-process.js')
    const host = 'tls-remote'
    const credentialFile = path.join(certs.dir, 'credential')
    fs.writeFileSync(credentialFile, await running.services.agents.issueCredential(host), { mode: 0o600 })
    const args = (extra: string[]) => ['agent', '--control-url', running.url, '--host', host, '--credential-file', credentialFile, '--state-dir', path.join(certs.dir, 'agent'), '--driver', 'fake', ...extra]
    for (const [extra, env] of [[[], {}], [['--ca-file', certs.otherCaCert], {}], [[], { LIFEBOAT_CA_FILE: certs.otherCaCert }]] as const) {
      const refused = await runLifeboat(args([...extra]), { ...env })
      assert.equal(refused.code, 1, refused.stdout)
      assert.match(refused.stderr, /cannot verify the TLS certificate of the control plane at https:.*give the CA that signed it with --ca-file or LIFEBOAT_CA_FILE/)
    }
    const plain = await runLifeboat(['agent', '--control-url', running.url.replace(/^https:/, 'http:'), ...args([]).slice(3)])
    assert.equal(plain.code, 1)
    assert.match(plain.stderr, /closed the connection .*use its https:\/\/ URL/)

    const agent = await spawnLifeboat(args(['--ca-file', certs.caCert]), { LIFEBOAT_LOG_LEVEL: 'info' })
    try {
      await waitUntil(() => {
        if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`)
        return agent.stdout().includes(`compute agent ${host} registered`)
      }, { timeoutMs: 30_000, intervalMs: 50, what: () => `the agent did not register: ${agent.stdout()} ${agent.stderr()}` })
      const ca = fs.readFileSync(certs.caCert, 'utf8')
      const { token } = await loginOver(running.url, ca, 'admin', ADMIN_PASSWORD, 'admin')
      const api = (method: string, route: string, body?: unknown) => requestJson(`${running.url}${route}`, { ca, token, method, body, headers: { 'x-openstack-nova-api-version': '2.37' } })
      const image = await api('POST', '/image/v2/images', { name: 'remote-img', disk_format: 'raw', container_format: 'bare' })
      assert.equal(image.status, 201)
      const uploaded = await requestJson(`${running.url}/image/v2/images/${image.body.id}/file`, { ca, token, method: 'PUT', rawBody: Buffer.alloc(64 * 1024) })
      assert.equal(uploaded.status, 204)
      // Straight to the remote host (the all-in-one's own agent is the other candidate).
      const created = await api('POST', '/compute/v2.1/servers', { server: { name: 'remote-vm', imageRef: image.body.id, flavorRef: '1', networks: 'none', availability_zone: `nova:${host}` } })
      assert.equal(created.status, 202, JSON.stringify(created.body))
      const shown = await waitUntil(async () => {
        const server = (await api('GET', `/compute/v2.1/servers/${created.body.server.id}`)).body.server
        if (server.status === 'ERROR') throw new Error(`the server failed: ${JSON.stringify(server.fault)}`)
        return server.status === 'ACTIVE' ? server : undefined
      }, { timeoutMs: 30_000, intervalMs: 200, what: 'the server did not become ACTIVE on the remote agent' })
      assert.equal(shown['OS-EXT-SRV-ATTR:host'], host)
    } finally {
      agent.child.kill('SIGTERM')
      await agent.exited
    }
  })
})
