import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AgentApiClient } from '../../src/agent/agent-api-client.js'
import { startConsoleRelay, type ConsoleRelay } from '../../src/agent/consoles/console-relay.js'
import type { QemuDriver } from '../../src/virt/qemu/qemu-driver.js'
import type { BuiltImages } from '../../src/virt/qemu/guest-image/build-images.js'
import type { InstanceSpec } from '../../src/virt/virt-driver.js'
import { startConsoleBroker, type DialBack } from '../helpers/console-broker.js'
import { configDrive, disks, instance, qemuSkip, qemuWorld, waitForConsole } from './lib/qemu-guests.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * A QEMU guest's consoles through the agent's console relay: the broker of
 * test/helpers plays the control plane's side (long poll, dial-back
 * websockets). The serial console is the guest's own (a shell on ttyS0) and
 * stays open across a rescue; VNC answers RFB.
 */
describe('QEMU consoles through the agent relay (serial shell, VNC, across a rescue)', { skip: qemuSkip(), timeout: 5 * 60_000 }, () => {
  const id = 'e2e-console-1'
  let driver: QemuDriver
  let images: BuiltImages
  let spec: InstanceSpec
  let broker: Awaited<ReturnType<typeof startConsoleBroker>>
  let relay: ConsoleRelay
  let serial: DialBack
  let cleanup = async () => undefined as void

  before(async () => {
    ({ driver, images, cleanup } = await qemuWorld())
    broker = await startConsoleBroker()
    relay = startConsoleRelay({ api: new AgentApiClient(broker.url, 'e2e-host', 'unused'), driver, log: quiet })
  })
  after(async () => {
    await relay?.stop()
    await broker?.close()
    await cleanup()
  })

  test('the serial console is an interactive shell: a typed command runs, its output comes back, and the log file keeps recording', async () => {
    spec = instance(id, [disks.imageRoot(images.guest), disks.config()], configDrive(id, 'guest', 'true'))
    await driver.spawn(spec)
    await waitForConsole(driver, id, /LB-MARKER-DONE role=guest/, 0)
    serial = await broker.request(id, 'serial')
    serial.ws.send('\r') // Enter starts the shell
    await serial.waitFor(/\[guest\] [^\r\n]*# /, 30_000)
    serial.ws.send('echo lb-$((6*7))\r')
    await serial.waitFor(/\r\nlb-42\r\n/, 30_000)
    // os-getConsoleOutput reads the log QEMU keeps beside the socket.
    await waitForConsole(driver, id, /lb-42/, 0, 10_000)
  })

  test('VNC answers RFB 003.008 on its own socket', async () => {
    const vnc = await broker.request(id, 'vnc')
    await vnc.waitFor(/^RFB 003\.008\n/, 10_000)
    vnc.ws.close()
  })

  test('a viewer attached before a rescue sees the rescue system boot on the same console and can use its shell', async () => {
    await driver.rescue({
      instance: spec, mode: 'stable', rescueDevice: 'disk', rescueBus: 'virtio', snapshotRoot: false,
      rescueImage: { imageId: 'lifeboat-rescue', path: images.rescueDisk, format: 'qcow2', properties: { hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } },
      rescueConfigDrive: null,
    }, { timeoutSeconds: 30 })
    await serial.waitFor(/LB-MARKER-BOOTED role=rescue/, 90_000)
    await serial.waitFor(/LB-MARKER-DONE role=rescue/, 90_000)
    serial.ws.send('\r') // Enter starts the shell
    await serial.waitFor(/\[rescue\] [^\r\n]*# /, 30_000)
    serial.ws.send('cat /run/lifeboat-role\r')
    await serial.waitFor(/cat \/run\/lifeboat-role\r\nrescue\r\n/, 30_000)
    const vnc = await broker.request(id, 'vnc')
    await vnc.waitFor(/^RFB 003\.008\n/, 10_000)
    vnc.ws.close()
  })
})
