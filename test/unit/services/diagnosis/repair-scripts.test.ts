import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { loadRules } from '../../../../src/services/diagnosis/rule-loader.js'
import { diagnose } from '../../../../src/services/diagnosis/matcher.js'

const rules = loadRules()
const fixture = (name: string) => fs.readFileSync(new URL(`../../../fixtures/console-logs/${name}`, import.meta.url), 'utf8')

/** The Debian cloud image's /etc/fstab (src/virt/qemu/guest-image/debian-image.ts) with the fixture's broken line. */
const DEBIAN_FSTAB = 'UUID=ad572be6-1b5d-435e-ad38-79c5e1a10bf6 / ext4 rw,discard,errors=remount-ro 0 1\n'

/**
 * Runs a rendered repair script against a folder standing in for the mounted root disk: the
 * script's one call of `lb_mount_root` (which looks for and mounts a block device) is replaced by
 * pointing LB_ROOT at the folder; everything else runs as written.
 */
function runOnFolder(script: string, root: string): { status: number; output: string } {
  const body = script.replace(/\nlb_mount_root\n/, `\nLB_ROOT=${root}\n`)
  assert.notEqual(body, script, 'the script mounts the root')
  try {
    return { status: 0, output: execFileSync('sh', ['-c', body], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) }
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string }
    return { status: e.status, output: e.stdout + e.stderr }
  }
}

function rootWithFstab(fstab: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-diag-'))
  fs.mkdirSync(path.join(root, 'etc'))
  fs.writeFileSync(path.join(root, 'etc/fstab'), fstab)
  return root
}

for (const [log, line, mountpoint] of [
  ['fstab-missing-device.log', 'LABEL=data /srv/data ext4 defaults 0 2', '/srv/data'],
  ['fstab-wrong-fstype.log', '/dev/vda1 /boot/efi ext4 defaults 0 2', '/boot/efi'],
] as const) {
  test(`the fstab repair of ${log} makes that line nofail, keeps a backup and leaves the root line alone`, () => {
    const finding = diagnose(fixture(log), rules).find((f) => f.rule === 'fstab-mount-failed')!
    const root = rootWithFstab(`${DEBIAN_FSTAB}${line}\n`)
    try {
      const { status, output } = runOnFolder(finding.script, root)
      assert.equal(status, 0, output)
      const lines = fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8').trimEnd().split('\n')
      assert.equal(lines[0], DEBIAN_FSTAB.trimEnd(), 'the root line is untouched')
      assert.deepEqual(lines[1]!.split(/\s+/), [...line.split(' ').slice(0, 3), 'defaults,nofail,x-systemd.device-timeout=10s', '0', '2'])
      const backups = fs.readdirSync(path.join(root, 'etc')).filter((f) => f.startsWith('fstab.lifeboat-'))
      assert.equal(backups.length, 1)
      assert.equal(fs.readFileSync(path.join(root, 'etc', backups[0]!), 'utf8'), `${DEBIAN_FSTAB}${line}\n`)
      assert.equal(output.match(/is now nofail/g)!.length, 1, output)
      assert.match(output, new RegExp(`fstab: ${mountpoint} is now nofail`))
      // Run twice: the line is found (exit 0), nothing more changes.
      const again = runOnFolder(finding.script, root)
      assert.equal(again.status, 0, again.output)
      assert.doesNotMatch(again.output, /is now nofail/)
      assert.equal(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8').match(/nofail/g)!.length, 1)
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
}

test('the fstab repair fails (exit 1) when no fstab line names the failing mount', () => {
  const finding = diagnose(fixture('fstab-missing-device.log'), rules).find((f) => f.rule === 'fstab-mount-failed')!
  const root = rootWithFstab(DEBIAN_FSTAB)
  try {
    const { status, output } = runOnFolder(finding.script, root)
    assert.equal(status, 1, output)
    assert.match(output, /no line of etc\/fstab names/)
    assert.equal(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8'), DEBIAN_FSTAB)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
})

test('a systemd mount unit name maps back to its path', () => {
  const prelude = rules.prelude
  const run = (unit: string) => execFileSync('sh', ['-c', `${prelude}\nlb_unit_path "$1"`, 'sh', unit], { encoding: 'utf8' }).trim()
  assert.equal(run('srv-data.mount'), '/srv/data')
  assert.equal(run('boot-efi.mount'), '/boot/efi')
  assert.equal(run('srv-my\\x2ddata.mount'), '/srv/my-data')
  const spec = (device: string) => execFileSync('sh', ['-c', `${prelude}\nlb_fstab_spec "$1"`, 'sh', device], { encoding: 'utf8' }).trim()
  assert.equal(spec('/dev/disk/by-label/data'), 'LABEL=data')
  assert.equal(spec('/dev/disk/by-uuid/1234-ABCD'), 'UUID=1234-ABCD')
})

test('the real repair: in the test rescue image the script found the original root and fixed fstab; the disk then booted past the failed mount', () => {
  const rescue = fixture('rescue-run-fstab-repair.log')
  assert.match(rescue, /^original root: \/dev\/vda2$/m)
  assert.match(rescue, /^fstab: \/boot\/efi is now nofail$/m)
  assert.match(rescue, /^LB-USERDATA rc=0$/m)
  const after = fixture('fstab-after-repair.log')
  assert.deepEqual(diagnose(after, { ...rules, rules: rules.rules.filter((r) => r.id === 'emergency-mode') }), [])
  assert.match(after, /repaired login: /)
  assert.match(after, /Cloud-init v\. \S+ finished at/)
})
