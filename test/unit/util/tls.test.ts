import assert from 'node:assert/strict'
import fs from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import YAML from 'yaml'
import { loadConfig, configFromEnv } from '../../../src/config.js'
import { writeCloudsYaml } from '../../../src/startup.js'
import { tlsLines } from '../../../src/cli/start-summary.js'
import { TlsSetupError, agentTlsOptions, describeTlsFailure, loadServerTls, readCaFile, type AgentTls } from '../../../src/util/tls.js'
import { makeTestCerts, type TestCerts } from '../../helpers/test-certs.js'

const account = (userName: string) => ({ userName, projectName: userName, role: 'member', password: `${userName}-pw` })

describe('TLS settings', () => {
  let certs: TestCerts
  before(() => {
    certs = makeTestCerts()
  })
  after(() => certs?.remove())

  test('config: flags, environment and config file layers carry the files, made absolute; none means plain HTTP', () => {
    const env = configFromEnv({ LIFEBOAT_TLS_CERT: 'c.pem', LIFEBOAT_TLS_KEY: '/k.pem', LIFEBOAT_TLS_CA: 'ca.pem' })
    const config = loadConfig(env)
    assert.equal(config.tlsCert, path.resolve('c.pem'))
    assert.equal(config.tlsKey, '/k.pem')
    assert.equal(config.tlsCa, path.resolve('ca.pem'))
    const plain = loadConfig({})
    assert.deepEqual([plain.tlsCert, plain.tlsKey, plain.tlsCa], ['', '', ''])
    assert.equal(loadServerTls(plain), null)
  })

  test('cert and key go together; unreadable, non-PEM or mismatched files are one clear line', () => {
    const refuse = (files: { tlsCert?: string; tlsKey?: string; tlsCa?: string }, pattern: RegExp) =>
      assert.throws(() => loadServerTls({ tlsCert: '', tlsKey: '', tlsCa: '', ...files }), (error: Error) => error instanceof TlsSetupError && pattern.test(error.message))
    refuse({ tlsCert: certs.serverCert }, /--tls-cert and --tls-key go together/)
    refuse({ tlsKey: certs.serverKey }, /--tls-cert and --tls-key go together/)
    refuse({ tlsCa: certs.caCert }, /without --tls-cert and --tls-key/)
    refuse({ tlsCert: path.join(certs.dir, 'missing.pem'), tlsKey: certs.serverKey }, /cannot read the TLS certificate .*missing\.pem: ENOENT/)
    refuse({ tlsCert: certs.serverCert, tlsKey: certs.dir }, /cannot read the TLS key .*: EISDIR/)
    refuse({ tlsCert: certs.serverKey, tlsKey: certs.serverKey }, /holds no PEM certificate/)
    refuse({ tlsCert: certs.serverCert, tlsKey: certs.selfSignedKey }, /does not fit the certificate/)
    refuse({ tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: certs.serverKey }, /the TLS CA .* holds no PEM certificate/)
  })

  test('clients trust the CA given, else a self-signed certificate itself, else the system store', () => {
    const withCa = loadServerTls({ tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: certs.caCert })!
    assert.equal(withCa.caFile, certs.caCert)
    assert.equal(withCa.trustPem, fs.readFileSync(certs.caCert, 'utf8'))
    assert.equal(loadServerTls({ tlsCert: certs.selfSignedCert, tlsKey: certs.selfSignedKey, tlsCa: '' })!.caFile, certs.selfSignedCert)
    const signed = loadServerTls({ tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: '' })!
    assert.equal(signed.caFile, null)
    assert.equal(signed.serverOptions.cert, fs.readFileSync(certs.serverCert, 'utf8'))
    assert.match(tlsLines({ certFile: certs.serverCert, caFile: null }).join('\n'), /https and wss.*\n.*system's CA store/)
    assert.match(tlsLines({ certFile: certs.serverCert, caFile: certs.caCert }).join('\n'), /clients trust .*ca\.pem \(clouds\.yaml cacert/)
    assert.deepEqual(tlsLines(null), [])
  })

  test('an agent verifies: the right CA connects; another CA, no CA or another name fails with a line naming --ca-file', async () => {
    const served = loadServerTls({ tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsCa: certs.caCert })!
    const server = https.createServer(served.serverOptions, (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const get = (agentTls: AgentTls | undefined) => new Promise<string>((resolve, reject) => {
      https.get(url, { agent: false, ...agentTlsOptions(agentTls) }, (res) => {
        res.setEncoding('utf8')
        let text = ''
        res.on('data', (chunk: string) => { text += chunk })
        res.on('end', () => resolve(text))
      }).on('error', reject)
    })
    try {
      assert.equal(await get({ ca: readCaFile(certs.caCert) }), 'ok')
      assert.equal(await get({ ca: served.trustPem, serverName: 'localhost' }), 'ok')
      for (const agentTls of [undefined, { ca: readCaFile(certs.otherCaCert) }, { ca: readCaFile(certs.caCert), serverName: 'lifeboat.example' }]) {
        const error = await get(agentTls).then(() => null, (e: unknown) => e)
        assert.ok(error, `connected with ${JSON.stringify(agentTls)}`)
        assert.match(describeTlsFailure(error, url) ?? '', /cannot verify the TLS certificate of the control plane at https:.*--ca-file or LIFEBOAT_CA_FILE/)
      }
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    assert.throws(() => readCaFile(certs.serverKey), /holds no PEM certificate/)
    assert.equal(describeTlsFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), url), null)
    const unverified = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    assert.match(describeTlsFailure(unverified, url, 'set --tls-ca') ?? '', /\(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\); set --tls-ca$/)
    const plainToTls = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    assert.match(describeTlsFailure(plainToTls, 'http://h:1') ?? '', /closed the connection .*use its https:\/\/ URL/)
    assert.equal(describeTlsFailure(plainToTls, 'https://h:1'), null)
  })

  test('clouds.yaml: cacert set on every cloud, kept for a cloud added later, removed when TLS is off', () => {
    const file = path.join(certs.dir, 'clouds.yaml')
    const clouds = () => YAML.parse(fs.readFileSync(file, 'utf8')).clouds
    writeCloudsYaml(file, 'https://h/identity', 'RegionOne', [account('admin'), account('demo')], certs.caCert)
    assert.equal(clouds()['lifeboat-admin'].cacert, certs.caCert)
    assert.equal(clouds()['lifeboat-demo'].cacert, certs.caCert)
    // reset-password: a cloud rewritten without saying anything of TLS keeps the file's CA.
    writeCloudsYaml(file, 'https://h/identity', 'RegionOne', [account('demo')])
    assert.equal(clouds()['lifeboat-demo'].cacert, certs.caCert)
    writeCloudsYaml(file, 'http://h/identity', 'RegionOne', [], null)
    assert.equal('cacert' in clouds()['lifeboat-admin'], false)
    assert.equal(clouds()['lifeboat-admin'].auth.auth_url, 'http://h/identity')
  })
})
