import fs from 'node:fs'
import path from 'node:path'

/** A Debian kernel installed on this host, with its modules. */
export interface HostKernel {
  version: string
  vmlinuz: string
  /** `cloud` (fast, LZ4, virtio/scsi/ide only) or `generic` (adds USB, AHCI/SATA, floppy drivers). */
  flavour: 'cloud' | 'generic'
}

/** The kernels in `/boot` whose modules are installed, newest first per flavour. */
export function findHostKernels(bootDir = '/boot', modulesDir = '/lib/modules'): { cloud: HostKernel | null; generic: HostKernel | null } {
  const found: HostKernel[] = []
  for (const file of fs.existsSync(bootDir) ? fs.readdirSync(bootDir) : []) {
    const match = /^vmlinuz-(.+-amd64)$/.exec(file)
    if (!match) continue
    const version = match[1]!
    if (!fs.existsSync(path.join(modulesDir, version))) continue
    found.push({ version, vmlinuz: path.join(bootDir, file), flavour: version.endsWith('-cloud-amd64') ? 'cloud' : 'generic' })
  }
  found.sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }))
  return { cloud: found.find((k) => k.flavour === 'cloud') ?? null, generic: found.find((k) => k.flavour === 'generic') ?? null }
}

/** Modules the images load, in order (ext4 soft-depends on crc32c; vfat mounts need the code pages; udhcpc needs packet sockets). */
export const GUEST_MODULES = [
  'virtio_pci', 'virtio_blk', 'virtio_scsi', 'scsi_mod', 'sd_mod', 'sr_mod', 'ata_piix', 'ata_generic', 'ahci',
  'xhci_pci', 'ehci_pci', 'uhci_hcd', 'usb_storage', 'uas', 'floppy',
  'crc32c_generic', 'ext4', 'isofs', 'vfat', 'nls_cp437', 'nls_ascii', 'nls_utf8', 'button', 'evdev',
  // The NICs (user-mode networking, issue 13); af_packet for the DHCP client.
  'virtio_net', 'af_packet',
] as const
