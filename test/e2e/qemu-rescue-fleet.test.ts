import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import type { Session } from '../helpers/cloud.js'
import { action, consoleOutput, waitForStatus } from '../helpers/compute.js'
import { waitUntil } from '../helpers/wait-until.js'
import { qemuSkip } from './lib/qemu-guests.js'
import { useQemuCloud } from './lib/qemu-cloud.js'

// Issue 17's fleet on real QEMU guests (TCG): three servers whose fstab stops their boot, one of them broken in a way
// the proposed repair does not cover; a fleet run at max-in-flight 2 with that repair brings two back, reports the
// third failed with its output and puts it back as it was (discard on failure).

const BOOT_MS = 300_000
const RUN_MS = 20 * 60_000

/** A run that writes an fstab with `line` on the guest's root: how the test breaks a server. */
const breakScript = (line: string) => `#!/bin/sh
set -e
dev=$(findfs LABEL=lbroot)
mkdir -p /mnt/r
mount -t ext4 "$dev" /mnt/r
mkdir -p /mnt/r/etc
printf '%s\\n' 'LABEL=lbroot / ext4 defaults 0 1' '${line}' > /mnt/r/etc/fstab
umount /mnt/r
`

const lastGuestBoot = (text: string) => text.slice(text.lastIndexOf('LB-MARKER-BOOTED role=guest'))

async function waitForBoot(session: Session, id: string, pattern: RegExp): Promise<string> {
  await waitForStatus(session, id, 'ACTIVE', { timeoutMs: BOOT_MS })
  return waitUntil(async () => {
    const boot = lastGuestBoot(await consoleOutput(session, id))
    return pattern.test(boot) ? boot : undefined
  }, { timeoutMs: BOOT_MS, intervalMs: 2000, what: `${id}: ${pattern}` })
}

describe('fleet rescue run on QEMU: three broken servers, max-in-flight 2, one unfixable', { skip: qemuSkip(), timeout: 45 * 60_000 }, () => {
  const qemu = useQemuCloud()

  test('two come back to their marker; the third is failed with its output and back as it was', async (t: TestContext) => {
    const { cloud, guestImage, rescueImage } = qemu
    const demo = cloud.demo
    const created = await demo.request('POST', '/compute/v2.1/servers', {
      body: { server: { name: 'fleet', imageRef: guestImage, flavorRef: '42', networks: 'none', min_count: 3, max_count: 3 } }, microversion: '2.37',
    })
    assert.equal(created.status, 202, created.text)
    const listed = await demo.request('GET', '/compute/v2.1/servers?name=^fleet-')
    const ids = (listed.body.servers as Array<{ id: string; name: string }>).sort((a, b) => a.name.localeCompare(b.name)).map((s) => s.id)
    assert.equal(ids.length, 3)
    await Promise.all(ids.map((id) => waitForBoot(demo, id, /LB-MARKER-DONE role=guest/)))

    // Break them: two with the data disk line (the repair covers it), the third with a line the repair does not name.
    const lines = ['LABEL=data /srv/data ext4 defaults 0 2', 'LABEL=data /srv/data ext4 defaults 0 2', 'LABEL=logs /var/log/app ext4 defaults 0 2']
    await Promise.all(ids.map(async (id, i) => {
      const res = await action(demo, id, { rescue: { rescue_image_ref: rescueImage, 'lifeboat:run': { script: breakScript(lines[i]!), timeout: 120, unrescue: 'always' } } })
      assert.equal(res.status, 200, res.text)
      await waitUntil(async () => (await demo.request('GET', `/lifeboat/v1/servers/${id}/runs`)).body.runs[0]?.state === 'succeeded' || undefined,
        { timeoutMs: RUN_MS, intervalMs: 2000, what: `breaking ${id}` })
    }))
    await Promise.all(ids.map((id) => waitForBoot(demo, id, /You are in emergency mode/)))

    const diagnosis = await demo.request('GET', `/lifeboat/v1/servers/${ids[0]}/diagnosis`)
    const finding = diagnosis.body.diagnosis.findings.find((f: { rule: string }) => f.rule === 'fstab-mount-failed')
    assert.ok(finding, diagnosis.text)

    const run = await demo.request('POST', '/lifeboat/v1/rescue-runs', {
      body: { script: finding.repair_script, timeout: 300, servers: { name: '^fleet-' }, max_in_flight: 2, canary: 0, unrescue: 'always', discard_on_failure: true, rescue_image_ref: rescueImage },
    })
    assert.equal(run.status, 201, run.text)
    let maxInFlight = 0
    const done = await waitUntil(async () => {
      const shown = (await demo.request('GET', `/lifeboat/v1/rescue-runs/${run.body.rescue_run.id}`)).body.rescue_run
      maxInFlight = Math.max(maxInFlight, shown.counts.rescuing + shown.counts.running + shown.counts.unrescuing)
      return ['succeeded', 'completed', 'failed', 'cancelled'].includes(shown.state) ? shown : undefined
    }, { timeoutMs: RUN_MS, intervalMs: 1000, what: 'the fleet run' })
    t.diagnostic(`fleet run ${done.state}: ${JSON.stringify(done.counts)}; max in flight seen ${maxInFlight}`)
    assert.ok(maxInFlight <= 2)
    assert.equal(done.state, 'completed')
    const byServer = new Map((done.servers as Array<{ server_id: string; state: string; output: string }>).map((s) => [s.server_id, s]))
    assert.equal(byServer.get(ids[0]!)!.state, 'succeeded')
    assert.equal(byServer.get(ids[1]!)!.state, 'succeeded')
    const failed = byServer.get(ids[2]!)!
    assert.equal(failed.state, 'failed')
    assert.match(failed.output, /no line of etc\/fstab names/)
    t.diagnostic(`the unfixable server's output:\n${failed.output}`)
    for (const id of ids.slice(0, 2)) {
      const boot = await waitForBoot(demo, id, /LB-MARKER-DONE role=guest/)
      assert.doesNotMatch(boot, /emergency mode/)
    }
    const third = await waitForBoot(demo, ids[2]!, /You are in emergency mode/)
    t.diagnostic(`the unfixable server after the run:\n${third.split('\n').filter((l) => /LB-MARKER|DEPEND|emergency/.test(l)).join('\n')}`)
  })
})
