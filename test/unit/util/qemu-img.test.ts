import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, describe, test } from 'node:test'
import { qemuFormatName, qemuImg, QemuImgError, qemuImgInfo } from '../../../src/util/qemu-img.js'
import { skipUnless } from '../../helpers/tiers.js'

const QEMU_IMG_AVAILABLE = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe('qemuFormatName', () => {
  test('maps Glance disk formats to qemu-img names and leaves the rest to probing', () => {
    assert.equal(qemuFormatName('vhd'), 'vpc')
    assert.equal(qemuFormatName('qcow2'), 'qcow2')
    assert.equal(qemuFormatName('iso'), null)
    assert.equal(qemuFormatName(null), null)
  })
})

describe('the qemu-img wrapper', { skip: skipUnless(QEMU_IMG_AVAILABLE, 'qemu-img', 'apt-get install qemu-utils') }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-qemu-img-'))
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('creates a disk and reads its format and virtual size', async () => {
    const file = path.join(dir, 'disk.qcow2')
    await qemuImg(['create', '-q', '-f', 'qcow2', file, '64M'])
    const info = await qemuImgInfo(file, { format: 'qcow2', shared: true })
    assert.equal(info.format, 'qcow2')
    assert.equal(info.virtualSize, 64 * 1024 * 1024)
    assert.equal(info.backingFile, null)
    assert.equal(info.dataFile, null)
  })

  test('a failure is a QemuImgError that names the command and carries stderr', async () => {
    const error = await qemuImgInfo(path.join(dir, 'missing.qcow2')).catch((e: unknown) => e)
    assert.ok(error instanceof QemuImgError)
    assert.match(error.message, /^qemu-img info failed: .*missing\.qcow2/)
    assert.match(error.stderr, /missing\.qcow2/)
    assert.equal(error.notInstalled, false)
  })
})
