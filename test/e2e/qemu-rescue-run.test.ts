import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { Session } from '../helpers/cloud.js'
import { action, consoleOutput, waitForStatus } from '../helpers/compute.js'
import { waitUntil } from '../helpers/wait-until.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { useQemuCloud } from './lib/qemu-cloud.js'

// Issue 17's headline on real QEMU guests (TCG), through the HTTP API: a server whose /etc/fstab names a missing
// device stops its boot in emergency mode; the diagnosis names the line; a rescue run with the proposed script
// fixes the original root disk (vda, stable rescue) and the server unrescues and boots to its marker.

const BOOT_MS = 240_000
const RUN_MS = 15 * 60_000

/** Writes a broken fstab on the guest's root (the rescue run that breaks the server, for the test). */
const BREAK_SCRIPT = `#!/bin/sh
set -e
dev=$(findfs LABEL=lbroot)
mkdir -p /mnt/r
mount -t ext4 "$dev" /mnt/r
mkdir -p /mnt/r/etc
printf '%s\\n' '# /etc/fstab' 'LABEL=lbroot / ext4 defaults 0 1' 'LABEL=data /srv/data ext4 defaults 0 2' > /mnt/r/etc/fstab
umount /mnt/r
echo "fstab written on $dev"
`

/** The console since the guest's last boot (its init prints LB-MARKER-BOOTED first). */
const lastGuestBoot = (text: string) => text.slice(text.lastIndexOf('LB-MARKER-BOOTED role=guest'))

/** Rescues with `lifeboat:run` and waits until the run is final. */
async function runOn(session: Session, id: string, rescueImage: string, run: Record<string, unknown>): Promise<any> {
  const res = await action(session, id, { rescue: { rescue_image_ref: rescueImage, 'lifeboat:run': run } })
  assert.equal(res.status, 200, res.text)
  let last: any
  return waitUntil(async () => {
    last = (await session.request('GET', `/lifeboat/v1/servers/${id}/runs`)).body.runs[0]
    return last && ['succeeded', 'failed'].includes(last.state) ? last : undefined
  }, { timeoutMs: RUN_MS, intervalMs: 2000, what: () => `the run on ${id} (last: ${JSON.stringify(last)})` })
}

describe('rescue run on QEMU: a broken fstab diagnosed and repaired on the original root', { skip: qemuSkip(), timeout: 30 * 60_000 }, () => {
  const qemu = useQemuCloud()

  test('emergency mode → diagnosis names the fstab line → the proposed script run in the rescue → boots to its marker', async (t: TestContext) => {
    const { cloud, guestImage, rescueImage } = qemu
    const demo = cloud.demo
    const created = await demo.request('POST', '/compute/v2.1/servers', { body: { server: { name: 'broken-fstab', imageRef: guestImage, flavorRef: '42', networks: 'none' } }, microversion: '2.37' })
    assert.equal(created.status, 202, created.text)
    const id = created.body.server.id as string
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    await waitUntil(async () => /LB-MARKER-DONE role=guest/.test(await consoleOutput(demo, id)) || undefined, { timeoutMs: BOOT_MS, intervalMs: 2000, what: 'the first boot' })

    // Break it: a run (unrescue always) writes an fstab line for a disk the server does not have.
    const broke = await runOn(demo, id, rescueImage, { script: BREAK_SCRIPT, timeout: 120, unrescue: 'always' })
    assert.equal(broke.state, 'succeeded', JSON.stringify(broke))
    assert.match(broke.output, /fstab written on \/dev\/vda2/)
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    const before = await waitUntil(async () => {
      const boot = lastGuestBoot(await consoleOutput(demo, id))
      return /You are in emergency mode/.test(boot) ? boot : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 2000, what: 'the broken boot in emergency mode' })
    assert.doesNotMatch(before, /LB-MARKER-DONE/)
    t.diagnostic(`console before the repair:\n${before.split('\n').filter((l) => /LB-MARKER|TIME|DEPEND|emergency|locked/.test(l)).join('\n')}`)

    const diagnosis = await demo.request('GET', `/lifeboat/v1/servers/${id}/diagnosis`)
    assert.equal(diagnosis.status, 200, diagnosis.text)
    const finding = diagnosis.body.diagnosis.findings.find((f: { rule: string }) => f.rule === 'fstab-mount-failed')
    assert.ok(finding, JSON.stringify(diagnosis.body))
    assert.ok(finding.lines.some((l: { text: string }) => l.text.includes('/srv/data')), JSON.stringify(finding.lines))
    assert.deepEqual(finding.captures.mountpoint, ['/srv/data'])

    const repaired = await runOn(demo, id, rescueImage, { script: finding.repair_script, timeout: 300, unrescue: 'on-success' })
    t.diagnostic(`repair run: ${repaired.state}, exit ${repaired.exit_status}, ${repaired.duration_ms} ms; output:\n${repaired.output}`)
    assert.equal(repaired.state, 'succeeded', JSON.stringify(repaired))
    assert.match(repaired.output, /original root: \/dev\/vda2/)
    assert.match(repaired.output, /nofail/)
    await waitForStatus(demo, id, 'ACTIVE', { timeoutMs: BOOT_MS })
    const after = await waitUntil(async () => {
      const boot = lastGuestBoot(await consoleOutput(demo, id))
      return /LB-MARKER-DONE role=guest/.test(boot) ? boot : undefined
    }, { timeoutMs: BOOT_MS, intervalMs: 2000, what: 'the repaired boot to its marker' })
    assert.doesNotMatch(after, /emergency mode/)
    t.diagnostic(`console after the repair:\n${after.split('\n').filter((l) => /LB-MARKER|TIME|DEPEND|emergency/.test(l)).join('\n')}`)
    const events = await demo.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${repaired.request_id}`, { microversion: '2.84' })
    const event = events.body.instanceAction.events.find((e: { event: string }) => e.event === 'lifeboat_rescue_run')
    assert.equal(event.result, 'Success')
  })
})
