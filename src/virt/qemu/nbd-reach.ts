import net from 'node:net'
import { parseNbdUrl } from '../../util/nbd-url.js'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'
import type { GuestEgress } from './qemu-network.js'

/** Whether `host` names this machine's loopback (127.0.0.0/8, ::1, localhost). Pure. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return net.isIPv4(host) && host.startsWith('127.')
}

/**
 * Refuses, with a message that says what to change, an NBD volume a guest's
 * QEMU could not reach: with egress `nat` QEMU runs in a network namespace
 * whose way out (slirp4netns, `--disable-host-loopback`) never reaches the
 * host's loopback, so an NBD server there would fail the start or hot-plug
 * with QEMU's bare "Failed to connect". Anything else passes. Pure.
 */
export function assertNbdReachable(source: string, egress: GuestEgress | undefined, diskName: string): void {
  const nbd = parseNbdUrl(source)
  if (!nbd || egress !== 'nat' || !isLoopbackHost(nbd.host)) return
  throw new DriverError(
    `volume disk ${diskName} is served over NBD at ${nbd.host}, this host's loopback, which a guest with egress nat cannot reach (its QEMU runs in a network namespace of its own): serve NBD on an address the hosts share (LIFEBOAT_NBD_ADDRESS, LIFEBOAT_NBD_PUBLIC_HOST) or run this agent with LIFEBOAT_GUEST_EGRESS=isolated`,
    { code: DriverErrorCode.VOLUME_MISSING },
  )
}
