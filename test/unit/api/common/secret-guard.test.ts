import assert from 'node:assert/strict'
import { test } from 'node:test'
import { secretKeyPath } from '../../../../src/api/common/secret-guard.js'

test('a secret column anywhere in a body is found, in either spelling', () => {
  assert.equal(secretKeyPath({ user: { id: 'u', password_hash: '$scrypt$' } }), '.user.password_hash')
  assert.equal(secretKeyPath({ hosts: [{ name: 'h' }, { credentialHash: 'x' }] }), '.hosts[].credentialHash')
  assert.equal(secretKeyPath([{ id_hash: 'x' }]), '[].id_hash')
})

test('ordinary bodies, values that mention secrets and non-plain payloads pass', () => {
  assert.equal(secretKeyPath({ keypair: { private_key: 'k', name: 'n' }, server: { adminPass: 'p' } }), null)
  assert.equal(secretKeyPath({ message: 'password_hash' }), null)
  assert.equal(secretKeyPath(null), null)
  assert.equal(secretKeyPath('text'), null)
  assert.equal(secretKeyPath(Buffer.from('password_hash')), null)
})
