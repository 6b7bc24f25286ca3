import net from 'node:net'
import { DriverError, type InstanceSpec, type NicSpec, type PortForward } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'
import { formatIpv4, parseIpv4Cidr } from '../../util/ipv4.js'

// As `escapeOption` of the command line (which imports this file): a comma in a value is written twice.
const escapeOption = (value: string) => value.replaceAll(',', ',,')

/**
 * What a guest may reach besides its own port forwards (one setting per host):
 * `nat` (the service's default) runs QEMU in a network namespace of its own
 * behind slirp4netns (qemu-netns.ts): the guest reaches the outside, but
 * neither the host's loopback services nor 169.254.169.254; `isolated` runs
 * every user-mode NIC with slirp's `restrict=on`, so the guest reaches
 * neither the outside nor the host (the fallback when namespaces or
 * slirp4netns are missing); `open` lets QEMU's slirp out on the host's own
 * network, and with that, since slirp maps the gateway address to the
 * host's 127.0.0.1 and QEMU 7.2 offers no switch for libslirp's
 * `disable_host_loopback`, to the host's loopback services and the host's
 * metadata address.
 */
export type GuestEgress = 'nat' | 'isolated' | 'open'

/** The PCI slot of the NICs: function N of slot 3 is NIC N, so disks (slot 4 on) never move them. */
export const NIC_PCI_SLOT = 3
/** A PCI slot has eight functions. */
export const MAX_NICS = 8
/** The DNS domain slirp's DHCP hands out (Neutron's default `dns_domain`). */
export const DHCP_DOMAIN = 'openstacklocal'

/**
 * q35's PCIe root bus takes no hot-plug, so every q35 guest starts with this
 * many empty `pcie-root-port`s for NICs plugged at run time (as libvirt adds
 * spare ports), as functions of slot 0x1e (slot 0x1f is the ICH9's).
 */
export const NIC_HOTPLUG_PORTS = 4
const NIC_HOTPLUG_PORT_SLOT = 0x1e

/** The id of spare root port `index` (q35). */
export function nicHotplugPortId(index: number): string {
  return `lbhp${index}`
}

/** The `-device pcie-root-port` options of the spare ports a q35 guest starts with (none on pc). Pure. */
export function nicHotplugPortArgs(machineType: 'pc' | 'q35'): string[] {
  if (machineType !== 'q35') return []
  return Array.from({ length: NIC_HOTPLUG_PORTS }, (_, index) => [
    '-device', [
      'pcie-root-port', `id=${nicHotplugPortId(index)}`, 'bus=pcie.0', `chassis=${index + 1}`, `port=0x${(0x10 + index).toString(16)}`,
      `addr=0x${NIC_HOTPLUG_PORT_SLOT.toString(16)}.0x${index.toString(16)}`, ...(index === 0 ? ['multifunction=on'] : []),
    ].join(','),
  ]).flat()
}

/** The QEMU id of the user-mode netdev of the NIC at `index` (stable: the NIC order is the port order). */
export function netdevId(index: number): string {
  return `net${index}`
}

/** A forward as `hostfwd_add` and `hostfwd=` take it: `tcp:<host address>:<host port>-<guest ip>:<guest port>`. */
export function hostfwdRule(forward: PortForward, guestIp: string): string {
  return `${forward.protocol}:${forward.hostAddress}:${forward.hostPort}-${guestIp}:${forward.guestPort}`
}

/** What identifies a forward on the host side (`hostfwd_remove` takes only this). */
export function hostfwdKey(forward: PortForward): string {
  return `${forward.protocol}:${forward.hostAddress}:${forward.hostPort}`
}

/** The forwards to remove and to add to go from `applied` to `wanted` (a changed guest port is a remove and an add). */
export function forwardChanges(applied: PortForward[], wanted: PortForward[]): { remove: PortForward[]; add: PortForward[] } {
  const same = (a: PortForward, b: PortForward) => hostfwdKey(a) === hostfwdKey(b) && a.guestPort === b.guestPort
  return {
    remove: applied.filter((a) => !wanted.some((w) => same(a, w))),
    add: wanted.filter((w) => !applied.some((a) => same(a, w))),
  }
}

/** The host name slirp's DHCP gives the guest: the first label of the metadata's hostname, else the server's name, as a DNS label. */
export function dhcpHostname(spec: Pick<InstanceSpec, 'name' | 'configDrive'>): string {
  const fromMetadata = spec.configDrive?.metaData.hostname
  const raw = (typeof fromMetadata === 'string' && fromMetadata ? fromMetadata.split('.')[0]! : spec.name).toLowerCase()
  const label = raw.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '')
  return label || 'server'
}

function assertIpv4(value: string, what: string): string {
  if (!net.isIPv4(value)) throw new DriverError(`NIC ${what} ${JSON.stringify(value)} is not an IPv4 address`, { code: DriverErrorCode.BAD_SPEC })
  return value
}

function assertCidr(value: string): string {
  const [address, bits, ...rest] = value.split('/')
  if (rest.length > 0 || !net.isIPv4(address ?? '') || !/^\d{1,2}$/.test(bits ?? '') || Number(bits) > 30) {
    throw new DriverError(`NIC subnet ${JSON.stringify(value)} is not an IPv4 CIDR of at most /30`, { code: DriverErrorCode.BAD_SPEC })
  }
  return value
}

/** Every NIC's values checked before they go into an option string (the control plane chose them; a bad one is a bug). */
export function assertNics(nics: NicSpec[]): void {
  if (nics.length > MAX_NICS) throw new DriverError(`a guest has at most ${MAX_NICS} NICs, this one asks for ${nics.length}`, { code: DriverErrorCode.BAD_SPEC })
  for (const nic of nics) {
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(nic.mac)) throw new DriverError(`NIC MAC ${JSON.stringify(nic.mac)} is malformed`, { code: DriverErrorCode.BAD_SPEC })
    assertIpv4(nic.ip, 'address')
    assertCidr(nic.cidr)
    if (nic.gateway !== null) assertIpv4(nic.gateway, 'gateway')
    if (nic.dnsAddress !== null) assertIpv4(nic.dnsAddress, 'DNS address')
    for (const forward of nic.forwards) assertIpv4(forward.hostAddress, 'forward address')
  }
}

/**
 * The slirp instance's own addresses, given only where QEMU's defaults would
 * not do: the subnet's gateway as `host` and the DHCP port's address as
 * `dns`; without them QEMU takes .2 and .3 of the network, and refuses a
 * `dhcpstart` equal to either ("DHCP must be different from host and DNS"),
 * which a subnet without gateway or DHCP (`public-subnet` of the first-start
 * topology) may well hand to a port. Then the first other address from .2
 * is used. Pure.
 */
export function slirpAddresses(nic: Pick<NicSpec, 'ip' | 'cidr' | 'gateway' | 'dnsAddress'>): { host?: string; dns?: string } {
  const cidr = parseIpv4Cidr(nic.cidr)
  if (!cidr) throw new DriverError(`NIC CIDR ${JSON.stringify(nic.cidr)} is malformed`, { code: DriverErrorCode.BAD_SPEC })
  const at = (offset: number) => formatIpv4(cidr.network + offset)
  const taken = new Set([nic.ip])
  const free = (): string => {
    for (let offset = 2; cidr.network + offset < cidr.last; offset++) if (!taken.has(at(offset))) return at(offset)
    throw new DriverError(`subnet ${nic.cidr} has no address left for the user-mode network's host and DNS`, { code: DriverErrorCode.BAD_SPEC })
  }
  const wanted = (given: string | null, fallback: string): string | undefined => {
    if (given !== null) return taken.has(given) ? free() : given
    return taken.has(fallback) ? free() : undefined
  }
  const host = wanted(nic.gateway, at(2))
  taken.add(host ?? at(2))
  const dns = wanted(nic.dnsAddress, at(3))
  return { ...(host ? { host } : {}), ...(dns ? { dns } : {}) }
}

/**
 * The user-mode netdev of a NIC without its forwards, as QMP `netdev_add`
 * takes it (`type` first; booleans for on/off). The command line writes the
 * same properties (`netdevOption`), so a NIC plugged into a running guest
 * gets exactly what a boot would give it. Pure.
 */
export function userNetdev(nic: NicSpec, id: string, options: { hostname: string; egress: GuestEgress }): Record<string, string | boolean> {
  const { host, dns } = slirpAddresses(nic)
  return {
    type: 'user', id, ipv6: false, net: nic.cidr,
    ...(host ? { host } : {}),
    dhcpstart: nic.ip,
    ...(dns ? { dns } : {}),
    hostname: options.hostname, domainname: DHCP_DOMAIN,
    restrict: options.egress === 'isolated',
  }
}

/** `user,id=…,ipv6=off,…` as `-netdev` takes the properties of `userNetdev`. */
export function netdevOption(props: Record<string, string | boolean>): string {
  const { type, ...rest } = props
  const values = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === 'boolean' ? (value ? 'on' : 'off') : escapeOption(value)}`)
  return [String(type), ...values].join(',')
}

/**
 * The `-netdev user` and `-device virtio-net-pci` options of each NIC (§3a/§3d
 * of the networking facts): one slirp instance per NIC, so its DHCP hands the
 * guest exactly the port's address (`dhcpstart`), the subnet's gateway
 * (`host`) and the reserved DNS address; the port's MAC; function N of PCI
 * slot 3, on pc and q35 alike, so NIC order and names never change whatever
 * the disks do (rescue, volume attach). Forwards start with the process
 * (`hostfwd=`); `withForwards: false` leaves them out (the command line kept
 * for a resume, whose forwards are added over QMP). Pure.
 */
export function nicArgs(nics: NicSpec[], options: { hostname: string; egress: GuestEgress; withForwards: boolean }): string[] {
  assertNics(nics)
  const args: string[] = []
  nics.forEach((nic, index) => {
    const id = netdevId(index)
    const netdev = [
      netdevOption(userNetdev(nic, id, options)),
      ...(options.withForwards ? nic.forwards.map((forward) => `hostfwd=${hostfwdRule(forward, nic.ip)}`) : []),
    ]
    const device = [
      'virtio-net-pci', `netdev=${id}`, `id=nic${index}`, `mac=${nic.mac.toLowerCase()}`,
      `addr=0x${NIC_PCI_SLOT.toString(16)}.0x${index.toString(16)}`,
      ...(index === 0 && nics.length > 1 ? ['multifunction=on'] : []),
    ]
    args.push('-netdev', netdev.join(','), '-device', device.join(','))
  })
  return args
}

/**
 * Nova's SMBIOS system identity (libvirt driver, `nova/version.py`), so
 * cloud-init's ds-identify sees an OpenStack guest: type 1 with manufacturer,
 * product, family, and the instance id as serial (and uuid when it is one).
 */
export function smbiosArgs(instanceId: string, isUuid: boolean): string[] {
  const fields = ['type=1', 'manufacturer=OpenStack Foundation', 'product=OpenStack Nova', `serial=${escapeOption(instanceId)}`]
  if (isUuid) fields.push(`uuid=${instanceId}`)
  fields.push('family=Virtual Machine')
  return ['-smbios', fields.join(',')]
}
