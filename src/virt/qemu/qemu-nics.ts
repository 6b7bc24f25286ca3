import { DriverError, type InstanceSpec } from '../virt-driver.js'
import type { DomainRecord, PluggedNic } from './domain-store.js'
import type { QemuHost } from './qemu-host.js'
import { deviceOption, type QemuDevice } from './qemu-command-line.js'
import { assertHostPortsFree, syncForwards } from './qemu-forwards.js'
import { NIC_HOTPLUG_PORTS, assertNics, dhcpHostname, netdevId, netdevOption, nicHotplugPortId, userNetdev } from './qemu-network.js'
import { UNPLUG_ATTEMPTS, UNPLUG_ATTEMPT_TIMEOUT_MS, unplugWithRetries, usedPciSlots } from './qemu-volumes.js'
import { runningPid } from './qemu-process.js'
import { withQmp } from './qmp-client.js'
import { DriverErrorCode } from '../error-codes.js'

/**
 * On pc, hot-plugged NICs take slots from the top of `pci.0` down (0x1f),
 * while hot-plugged disks and controllers take them from slot 4 up: the two
 * meet only when the bus is full. Slot 3 holds the command line's NICs as
 * functions of one multifunction slot, where `pc` refuses a new function at
 * run time. On q35 they go into the spare root ports every guest starts with.
 */
const TOP_PCI_SLOT = 0x1f
const LOWEST_NIC_SLOT = 4

/** The QEMU id of a plugged NIC's `virtio-net-pci`. */
export function nicDeviceId(nic: PluggedNic): string {
  return nic.device ?? nic.netdev.replace(/^net/, 'nic')
}

/** The next free netdev index of a running guest (ids of unplugged NICs are free again). */
export function nextNicIndex(record: Pick<DomainRecord, 'nics'>): number {
  const taken = (record.nics ?? []).map((nic) => Number(/^net(\d+)$/.exec(nic.netdev)?.[1] ?? -1))
  return Math.max(-1, ...taken) + 1
}

/** The slot a NIC plugged into the running guest gets: the highest free one. Pure. */
export function hotplugNicSlot(record: DomainRecord): number {
  const used = usedPciSlots(record)
  for (let slot = TOP_PCI_SLOT; slot >= LOWEST_NIC_SLOT; slot--) if (!used.has(slot)) return slot
  throw new DriverError('no free PCI slot for a hot-plugged NIC', { code: DriverErrorCode.NO_FREE_ADDRESS })
}

/** The first spare root port no NIC uses (q35); a guest started without them (an older version) has none. */
export function freeHotplugPort(record: Pick<DomainRecord, 'nics' | 'argv'>): string {
  const used = new Set((record.nics ?? []).map((nic) => nic.port))
  for (let index = 0; index < NIC_HOTPLUG_PORTS; index++) {
    const id = nicHotplugPortId(index)
    if (!used.has(id) && record.argv.some((arg) => arg.startsWith(`pcie-root-port,id=${id},`))) return id
  }
  throw new DriverError(`no free PCIe root port for a hot-plugged NIC (a q35 guest has ${NIC_HOTPLUG_PORTS}); stop the server first`, { code: DriverErrorCode.NO_FREE_ADDRESS })
}

/** A NIC of the command line (slot 3; on q35 on the root bus, which takes no unplug). */
function isBootNic(nic: PluggedNic): boolean {
  return nic.slot === undefined && nic.port === undefined
}

function slotHex(slot: number): string {
  return `0x${slot.toString(16).padStart(2, '0')}`
}

/** The command line without the `-netdev` and `-device` of a NIC (a resume must not bring an unplugged NIC back). */
function withoutNic(argv: string[], nic: PluggedNic): string[] {
  const mine = new RegExp(`(^|,)id=(${nic.netdev}|${nicDeviceId(nic)})(,|$)`)
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '-netdev' || argv[i] === '-device') && mine.test(argv[i + 1] ?? '')) {
      i++
      continue
    }
    out.push(argv[i]!)
  }
  return out
}

/**
 * Plugs the NIC of `portId` into the running guest: a user-mode netdev with
 * the options a boot gives it (`netdev_add`), a `virtio-net-pci` with the
 * port's MAC in a free slot of its own on pc, a spare root port on q35
 * (`device_add`; the guest's PCI hot-plug announces it), then its forwards. The command line kept for a
 * resume gets both, so a saved state loads into the same devices. A guest
 * that does not run gets it at its next boot, from the spec (slot 3 like
 * every NIC then: same MAC, same address by DHCP).
 */
export async function plugNic(host: QemuHost, spec: InstanceSpec, portId: string): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  const nic = spec.nics.find((n) => n.portId === portId)
  if (!nic) throw new DriverError(`port ${portId} is not a NIC of the spec`, { code: DriverErrorCode.BAD_SPEC })
  if (runningPid(paths) === null || record.rescued || record.nics?.some((n) => n.portId === portId)) {
    host.store.save({ ...record, spec })
    return
  }
  assertNics([nic])
  // Checked before the plug: once the guest has the NIC, a forward that cannot listen would leave it half-made.
  await assertHostPortsFree(nic.forwards)
  const index = nextNicIndex(record)
  const q35 = host.machineType === 'q35'
  const plugged: PluggedNic = { netdev: netdevId(index), portId, ip: nic.ip, forwards: [], device: `nic${index}`, ...(q35 ? { port: freeHotplugPort(record) } : { slot: hotplugNicSlot(record) }) }
  const netdev = userNetdev(nic, plugged.netdev, { hostname: dhcpHostname(spec), egress: host.egress })
  const place = q35 ? { bus: plugged.port!, addr: '0x0' } : { bus: 'pci.0', addr: slotHex(plugged.slot!) }
  const device: QemuDevice = { driver: 'virtio-net-pci', props: { netdev: plugged.netdev, id: plugged.device!, mac: nic.mac.toLowerCase(), ...place } }
  await withQmp(paths.qmpSocket, async (qmp) => {
    await qmp.execute('netdev_add', netdev)
    try {
      await qmp.execute('device_add', { driver: device.driver, ...device.props })
    } catch (error) {
      await qmp.execute('netdev_del', { id: plugged.netdev }).catch((cleanup: unknown) => host.log.warn({ err: cleanup, server: spec.instanceId, port: portId }, 'device_add of a NIC failed and its netdev could not be deleted'))
      throw error
    }
  })
  host.store.save({ ...record, spec, nics: [...(record.nics ?? []), plugged], argv: [...record.argv, '-netdev', netdevOption(netdev), '-device', deviceOption(device)] })
  // The NIC is in: a forward that fails now (a port taken since the check) is logged, and the next network change retries it.
  await syncForwards(host, spec).catch((error: unknown) => host.log.warn({ err: error, server: spec.instanceId, port: portId }, 'a hot-plugged NIC\'s forwards could not all be applied'))
}

/**
 * Unplugs the NIC of `portId` from the running guest: `device_del`, which
 * the guest must acknowledge (ACPI eject; repeated as for disks, since a
 * booting guest misses it), then `netdev_del`, which takes its forwards
 * along. A guest that never lets go fails with `LB_DETACH_TIMEOUT` and keeps
 * the NIC. The command line's NICs share slot 3, and an eject takes a whole
 * slot: one of several there can't be unplugged alone (on q35 none: the root
 * bus takes no unplug). A paused guest can't answer. A guest that does not
 * run boots without it next time.
 */
export async function unplugNic(host: QemuHost, spec: InstanceSpec, portId: string): Promise<void> {
  const record = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  const plugged = record.nics?.find((n) => n.portId === portId)
  if (runningPid(paths) === null || record.rescued || !plugged) {
    host.store.save({ ...record, spec })
    return
  }
  if (isBootNic(plugged) && host.machineType === 'q35') {
    throw new DriverError('a q35 guest\'s boot-time NICs are on the PCIe root bus, which takes no unplug; stop the server first', { code: DriverErrorCode.HOTPLUG_UNSUPPORTED })
  }
  if (isBootNic(plugged) && record.nics!.filter(isBootNic).length > 1) {
    throw new DriverError('this NIC shares its PCI slot with the server\'s other boot-time NICs, and an unplug would take them all; stop the server first', { code: DriverErrorCode.HOTPLUG_UNSUPPORTED })
  }
  if ((await host.status(paths)) !== 'running') throw new DriverError('a paused guest cannot release a NIC; unpause the server first', { code: DriverErrorCode.DOMAIN_NOT_RUNNING })
  const device = nicDeviceId(plugged)
  if (!(await unplugWithRetries(paths.qmpSocket, device))) {
    throw new DriverError(`the guest did not release NIC ${device} (port ${portId}) after ${UNPLUG_ATTEMPTS} unplug requests ${UNPLUG_ATTEMPT_TIMEOUT_MS / 1000} s apart`, { code: DriverErrorCode.DETACH_TIMEOUT })
  }
  await withQmp(paths.qmpSocket, (qmp) => qmp.execute('netdev_del', { id: plugged.netdev }))
    .catch((cleanup: unknown) => host.log.warn({ err: cleanup, server: spec.instanceId, port: portId }, 'the unplugged NIC\'s netdev could not be deleted'))
  const fresh = host.record(spec.instanceId)
  host.store.save({ ...fresh, spec, nics: (fresh.nics ?? []).filter((n) => n.portId !== portId), argv: withoutNic(fresh.argv, plugged) })
}
