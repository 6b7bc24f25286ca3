import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { describe, test } from 'node:test'
import { loadRules, type RuleSet } from '../../../../src/services/diagnosis/rule-loader.js'
import { consoleLines, diagnose } from '../../../../src/services/diagnosis/matcher.js'

const rules = loadRules()
const fixture = (name: string) => fs.readFileSync(new URL(`../../../fixtures/console-logs/${name}`, import.meta.url), 'utf8')

/** A rule set with only the named rules (to see a rule that another supersedes on the same log). */
const only = (...ids: string[]): RuleSet => ({ ...rules, rules: rules.rules.filter((r) => ids.includes(r.id)) })

interface Case {
  /** The fixture: a real console log (test/fixtures/console-logs/README.md says how each was made). */
  log: string
  rule: string
  /** Text of a line the finding must cite. */
  line: string
  captures: Record<string, string[]>
  /** What the rendered script must hold (a capture, shell-quoted). */
  script: string[]
  /** Run the matcher with just these rules (for a rule another one supersedes on this log). */
  alone?: boolean
}

const CASES: Case[] = [
  { log: 'fstab-missing-device.log', rule: 'fstab-mount-failed', line: '[DEPEND] Dependency failed for srv-data.mount - /srv/data.',
    captures: { mountpoint: ['/srv/data'], unit: ['srv-data.mount'], device: ['/dev/disk/by-label/data'] }, script: ["for mp in '/srv/data'; do", "for dev in '/dev/disk/by-label/data'; do"] },
  { log: 'fstab-wrong-fstype.log', rule: 'fstab-mount-failed', line: '[FAILED] Failed to mount boot-efi.mount - /boot/efi.',
    captures: { mountpoint: ['/boot/efi'], unit: ['boot-efi.mount'] }, script: ["for mp in '/boot/efi'; do", "for unit in 'boot-efi.mount'; do"] },
  { log: 'fstab-wrong-fstype.log', rule: 'emergency-mode', line: 'You are in emergency mode. After logging in, type "journalctl -xb" to view', captures: {}, script: ['lb_find_root_device'], alone: true },
  { log: 'root-missing.log', rule: 'root-device-missing', line: 'ALERT!  /dev/nonexistent does not exist.  Dropping to a shell!',
    captures: { device: ['/dev/nonexistent'] }, script: ["wrong='/dev/nonexistent'"] },
  { log: 'no-initrd.log', rule: 'kernel-panic-no-root', line: '[    2.936160] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    captures: { block: ['unknown-block(0,0)'] }, script: ['INITRD'] },
  { log: 'no-initrd.log', rule: 'kernel-panic', line: '[    2.936160] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    captures: { reason: ['VFS: Unable to mount root fs on unknown-block(0,0)'] }, script: ["echo \"panic: \"'VFS: Unable to mount root fs on unknown-block(0,0)'"], alone: true },
  { log: 'no-kernel.log', rule: 'boot-loader-kernel-missing', line: 'Loading /vmlinuz... failed: No such file or directory',
    captures: { kernel: ['/vmlinuz'] }, script: ["want='/vmlinuz'"] },
  { log: 'root-full.log', rule: 'root-full', line: "[   91.030301] cloud-init[264]: OSError: [Errno 28] No space left on device: '/var/lib/cloud'",
    captures: { path: ['/var/lib/cloud'] }, script: ['df -k'] },
  { log: 'root-read-only.log', rule: 'root-read-only', line: "[  227.500625] cloud-init[259]: OSError: [Errno 30] Read-only file system: '/var/lib/cloud'",
    captures: { path: ['/var/lib/cloud'] }, script: ['fsck -y "$dev"', 'fstab: / is now rw'] },
  { log: 'root-read-only.log', rule: 'sshd-failed', line: '[FAILED] Failed to start ssh.servic…[0m - OpenBSD Secure Shell server.', captures: {}, script: ['sshd -t'], alone: true },
  { log: 'cloud-init-runcmd.log', rule: 'cloud-init-failed',
    line: '[  291.842902] cloud-init[436]: 2026-12-05 04:50:46,337 - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)',
    captures: { module: ['scripts-user'] }, script: ['cloud-init-output.log'] },
  { log: 'sshd-config.log', rule: 'sshd-failed', line: '[FAILED] Failed to start ssh.servic…[0m - OpenBSD Secure Shell server.', captures: {}, script: ['lb_chroot /usr/sbin/sshd -t', 'usr/share/openssh/sshd_config'] },
]

describe('each diagnosis rule over its real console log', () => {
  for (const c of CASES) {
    test(`${c.rule} in ${c.log}`, () => {
      const text = fixture(c.log)
      const findings = diagnose(text, c.alone ? only(c.rule) : rules)
      const finding = findings.find((f) => f.rule === c.rule)
      assert.ok(finding, `${c.rule} not found; found ${findings.map((f) => f.rule).join(', ') || 'nothing'}`)
      if (!c.alone) assert.equal(findings[0]!.rule, c.rule, 'the precise cause comes first')
      const cited = finding.lines.find((l) => l.text === c.line)
      assert.ok(cited, `line not cited: ${c.line}\n${finding.lines.map((l) => `${l.number}: ${l.text}`).join('\n')}`)
      assert.equal(consoleLines(text)[cited.number - 1], c.line, 'line numbers count from 1 in the log read')
      for (const [name, values] of Object.entries(c.captures)) assert.deepEqual(finding.captures[name], values, name)
      assert.match(finding.script, /^#!\/bin\/sh\n# Lifeboat diagnosis /)
      assert.match(finding.script, /lb_mount_root\(\) \{/, 'the prelude is in')
      for (const part of c.script) assert.ok(finding.script.includes(part), `script lacks ${part}`)
      assert.doesNotMatch(finding.script, /\{\{/, 'every placeholder rendered')
      // The script parses as POSIX shell.
      execFileSync('sh', ['-n'], { input: finding.script })
    })
  }

  test('every rule has a case over a real log', () => {
    for (const rule of rules.rules) assert.ok(CASES.some((c) => c.rule === rule.id), `rule ${rule.id} has no fixture`)
  })

  test('a symptom gives way to its precise cause: emergency mode to a failed fstab mount, the panic to no root, sshd to a read-only root', () => {
    assert.deepEqual(diagnose(fixture('fstab-wrong-fstype.log'), rules).map((f) => f.rule), ['fstab-mount-failed'])
    assert.deepEqual(diagnose(fixture('no-initrd.log'), rules).map((f) => f.rule), ['kernel-panic-no-root'])
    assert.deepEqual(diagnose(fixture('root-read-only.log'), rules).map((f) => f.rule), ['root-read-only'], 'sshd fails because the root is read-only')
  })

  test('good boots give no finding: the Debian cloud image and the test guest image', () => {
    for (const log of ['good-debian.log', 'good-lifeboat-guest.log']) assert.deepEqual(diagnose(fixture(log), rules), [], log)
  })

  test('an empty log gives no finding', () => {
    assert.deepEqual(diagnose('', rules), [])
  })
})
