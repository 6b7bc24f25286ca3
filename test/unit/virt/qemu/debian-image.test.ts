import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { DEBIAN_PACKAGES, hostAptSources } from '../../../../src/virt/qemu/guest-image/debian-image.js'
import { debianUploadItem } from '../../../../src/virt/qemu/guest-image/upload-images.js'

test('hostAptSources takes the host\'s bookworm sources, deb822 or one-line, and leaves others and disabled files out', () => {
  const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-apt-'))
  try {
    fs.mkdirSync(path.join(etc, 'sources.list.d'))
    fs.writeFileSync(path.join(etc, 'sources.list'), '# nothing here\n')
    fs.writeFileSync(path.join(etc, 'sources.list.d/debian.sources'), 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n')
    fs.writeFileSync(path.join(etc, 'sources.list.d/security.list'), 'deb http://deb.debian.org/debian-security bookworm-security main\ndeb http://deb.debian.org/debian bookworm main\n')
    fs.writeFileSync(path.join(etc, 'sources.list.d/other.list'), 'deb https://example.invalid/node nodistro main\n')
    fs.writeFileSync(path.join(etc, 'sources.list.d/old.sources.disabled'), 'Suites: bookworm\n')
    assert.deepEqual(hostAptSources(etc), [path.join(etc, 'sources.list.d/debian.sources'), path.join(etc, 'sources.list.d/security.list')])
  } finally {
    fs.rmSync(etc, { recursive: true, force: true })
  }
})

test('the Debian image is a cloud image: cloud-init, openssh-server, the cloud kernel; uploaded with its admin user', () => {
  for (const pkg of ['cloud-init', 'openssh-server', 'linux-image-cloud-amd64']) assert.ok(DEBIAN_PACKAGES.includes(pkg as never), pkg)
  const item = debianUploadItem({ key: 'k1', dir: '/x', image: '/x/debian.qcow2', kernel: '6.1', fileBytes: 1, virtualBytes: 2, buildMs: 0, cached: true })
  assert.deepEqual(item, {
    name: 'lifeboat-debian', file: '/x/debian.qcow2', diskFormat: 'qcow2',
    properties: { lifeboat_build: 'k1', os_distro: 'debian', os_version: '12', os_admin_user: 'debian', os_shutdown_timeout: '60' },
  })
})
