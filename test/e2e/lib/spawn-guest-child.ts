// A stand-in compute agent process: spawns one guest with the QEMU driver, says so, then waits to be killed.
import fs from 'node:fs'
import { QemuDriver } from '../../../src/virt/qemu/qemu-driver.js'
import type { InstanceSpec } from '../../../src/virt/virt-driver.js'

const [stateDir, specFile] = process.argv.slice(2) as [string, string]
const driver = new QemuDriver({ stateDir, machineType: 'pc' })
await driver.init()
await driver.spawn(JSON.parse(fs.readFileSync(specFile, 'utf8')) as InstanceSpec)
process.stdout.write('spawned\n')
setInterval(() => undefined, 60_000)
