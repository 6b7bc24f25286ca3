import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CONFIG_DRIVE_LABEL, configDriveFiles } from '../../../../src/virt/qemu/config-drive.js'

describe('configDriveFiles', () => {
  const metaData = { uuid: 'i-1', name: 'server-1', hostname: 'server-1', public_keys: { k1: 'ssh-ed25519 AAAA k1' }, keys: [{ name: 'k1', type: 'ssh', data: 'ssh-ed25519 AAAA k1' }], meta: {} }

  test('writes the OpenStack metadata layout under openstack/latest', () => {
    const files = configDriveFiles({ metaData, userData: '#!/bin/sh\necho hi\n', networkData: { links: [], networks: [], services: [] } })
    assert.deepEqual([...files.keys()].sort(), [
      'openstack/latest/meta_data.json', 'openstack/latest/network_data.json', 'openstack/latest/user_data', 'openstack/latest/vendor_data.json',
    ])
    assert.deepEqual(JSON.parse(files.get('openstack/latest/meta_data.json')!), metaData)
    assert.deepEqual(JSON.parse(files.get('openstack/latest/network_data.json')!), { links: [], networks: [], services: [] })
    assert.equal(files.get('openstack/latest/user_data'), '#!/bin/sh\necho hi\n')
  })

  test('leaves user_data out when there is none', () => {
    assert.equal(configDriveFiles({ metaData, userData: null, networkData: {} }).has('openstack/latest/user_data'), false)
  })

  test('the volume label is config-2, which cloud-init looks for', () => {
    assert.equal(CONFIG_DRIVE_LABEL, 'config-2')
  })
})
