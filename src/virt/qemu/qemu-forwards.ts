import net from 'node:net'
import { DriverError, type InstanceSpec, type NicSpec, type PortForward } from '../virt-driver.js'
import type { DomainRecord, PluggedNic } from './domain-store.js'
import type { QemuHost } from './qemu-host.js'
import { runningPid } from './qemu-process.js'
import { withQmp, type QmpClient } from './qmp-client.js'
import { forwardChanges, hostfwdKey, hostfwdRule, netdevId } from './qemu-network.js'
import { NETNS_ADDRESS } from './qemu-netns.js'
import { addNamespaceForward, innerPort, listNamespaceForwards, removeNamespaceForward } from './slirp4netns-api.js'
import { DriverErrorCode } from '../error-codes.js'

function busy(forward: PortForward, cause?: unknown): DriverError {
  return new DriverError(`floating IP forward ${forward.hostAddress}:${forward.hostPort} (to guest port ${forward.guestPort}) could not listen: the host port is already in use`,
    { code: DriverErrorCode.HOST_PORT_BUSY, cause })
}

/**
 * Fails with `LB_HOST_PORT_BUSY` when a forward's host address and port is
 * taken, before QEMU is started with it: a QEMU that cannot bind a `hostfwd=`
 * exits with a line on stderr only, while this names the forward.
 */
export async function assertHostPortsFree(forwards: PortForward[]): Promise<void> {
  for (const forward of forwards) {
    await new Promise<void>((resolve, reject) => {
      const server = net.createServer()
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? busy(forward, error)
        : new DriverError(`floating IP forward ${forward.hostAddress}:${forward.hostPort} cannot listen: ${error.message}`, { cause: error })))
      server.listen({ host: forward.hostAddress, port: forward.hostPort, exclusive: true }, () => server.close(() => resolve()))
    })
  }
}

/** The NICs a new QEMU process plugs, with the forwards it starts with (none for a resume: QMP adds them). */
export function pluggedNics(nics: NicSpec[], withForwards: boolean): PluggedNic[] {
  return nics.map((nic, index) => ({ netdev: netdevId(index), portId: nic.portId, ip: nic.ip, forwards: withForwards ? structuredClone(nic.forwards) : [] }))
}

/** One HMP command through QMP; HMP reports failures as text, not as a QMP error. */
async function hmp(qmp: QmpClient, commandLine: string): Promise<string> {
  return qmp.execute<string>('human-monitor-command', { 'command-line': commandLine })
}

/** Adds or removes one forward on a running QEMU; throws when QEMU says it could not. */
async function change(qmp: QmpClient, nic: PluggedNic, forward: PortForward, action: 'add' | 'remove'): Promise<void> {
  if (action === 'remove') {
    const out = await hmp(qmp, `hostfwd_remove ${nic.netdev} ${hostfwdKey(forward)}`)
    // "host forwarding rule for … removed" or "… not found": either way it is gone.
    if (!/host forwarding rule for .* (removed|not found)/.test(out) && out.trim() !== '') throw new DriverError(`hostfwd_remove failed: ${out.trim()}`, { code: DriverErrorCode.QMP_ERROR })
    return
  }
  const out = await hmp(qmp, `hostfwd_add ${nic.netdev} ${hostfwdRule(forward, nic.ip)}`)
  if (/could not set up host forwarding rule/i.test(out)) throw busy(forward)
  if (out.trim() !== '') throw new DriverError(`hostfwd_add failed: ${out.trim()}`, { code: DriverErrorCode.QMP_ERROR })
}

/**
 * The same change for a guest in its own network namespace (`nat`): QEMU's
 * forward listens on the namespace's tap address (never its loopback, which
 * the guest's gateway reaches), and slirp4netns forwards the host's address
 * and port to it. The inner port is found again through slirp4netns's list.
 */
async function changeInNamespace(qmp: QmpClient, apiSocket: string, nic: PluggedNic, forward: PortForward, action: 'add' | 'remove'): Promise<void> {
  const entries = await listNamespaceForwards(apiSocket)
  const outer = entries.find((e) => e.proto === forward.protocol && e.host_addr === forward.hostAddress && e.host_port === forward.hostPort)
  if (action === 'remove') {
    if (!outer) return
    await removeNamespaceForward(apiSocket, outer.id)
    await change(qmp, nic, { ...forward, hostAddress: NETNS_ADDRESS, hostPort: outer.guest_port }, 'remove')
    return
  }
  if (outer) throw busy(forward)
  const inner = { ...forward, hostAddress: NETNS_ADDRESS, hostPort: innerPort(forward.hostPort, entries.map((e) => e.guest_port)) }
  await change(qmp, nic, inner, 'add')
  try {
    await addNamespaceForward(apiSocket, { proto: forward.protocol, host_addr: forward.hostAddress, host_port: forward.hostPort, guest_addr: NETNS_ADDRESS, guest_port: inner.hostPort })
  } catch (error) {
    await change(qmp, nic, inner, 'remove').catch(() => undefined)
    // slirp4netns says only "slirp_add_hostfwd failed": the host address and port could not be bound.
    throw busy(forward, error)
  }
}

/**
 * Makes the forwards of the running QEMU's NICs those of `spec` (a NIC whose
 * port left the spec loses its forwards; a NIC the process lacks needs a
 * boot). Removals go first, so a forward moving between NICs frees its port.
 * Every change that can be made is made and recorded; the first failure is
 * thrown afterwards. A stopped domain has nothing to change.
 */
export async function syncForwards(host: QemuHost, spec: InstanceSpec): Promise<void> {
  const record: DomainRecord = host.record(spec.instanceId)
  const paths = host.store.paths(spec.instanceId)
  const plugged = record.nics ?? []
  if (runningPid(paths) === null || plugged.length === 0) return
  const plan = plugged.map((nic) => ({ nic, ...forwardChanges(nic.forwards, spec.nics.find((n) => n.portId === nic.portId)?.forwards ?? []) }))
  if (plan.every((p) => p.add.length === 0 && p.remove.length === 0)) return
  const failures: unknown[] = []
  const keyOf = (f: PortForward) => `${hostfwdKey(f)}>${f.guestPort}`
  const apply = (qmp: QmpClient, nic: PluggedNic, forward: PortForward, action: 'add' | 'remove') =>
    record.egress === 'nat' ? changeInNamespace(qmp, paths.netSocket, nic, forward, action) : change(qmp, nic, forward, action)
  await withQmp(paths.qmpSocket, async (qmp) => {
    for (const { nic, remove } of plan) {
      for (const forward of remove) {
        try {
          await apply(qmp, nic, forward, 'remove')
          nic.forwards = nic.forwards.filter((f) => keyOf(f) !== keyOf(forward))
        } catch (error) {
          failures.push(error)
        }
      }
    }
    for (const { nic, add } of plan) {
      for (const forward of add) {
        try {
          await apply(qmp, nic, forward, 'add')
          nic.forwards.push(structuredClone(forward))
        } catch (error) {
          failures.push(error)
        }
      }
    }
  })
  // The record is read again: only the NICs' forwards are this function's to change.
  host.store.save({ ...host.record(spec.instanceId), nics: plugged })
  if (failures.length > 0) throw failures[0]
}
