import path from 'node:path'
import type { LifeboatConfig } from './config.js'
import type { Logger } from './logging.js'
import { exportSecret, NbdVolumeExports } from './services/volume/volume-exports.js'
import { StartupError } from './startup.js'
import { onPath } from './virt/driver-factory.js'
import { StorageDaemon } from './virt/qemu/storage-daemon.js'

/** The NBD transport of a control plane: the exports the volume service uses, and the daemon to stop at close. */
export interface VolumeStorage {
  exports: NbdVolumeExports
  daemon: StorageDaemon
}

const WILDCARDS = ['0.0.0.0', '::', '']

/**
 * The host agents dial: LIFEBOAT_NBD_PUBLIC_HOST, else the listen address,
 * else (listening on every address) the public URL's host or the API's.
 */
export function nbdPublicHost(config: LifeboatConfig): string {
  if (config.nbdPublicHost) return config.nbdPublicHost
  if (!WILDCARDS.includes(config.nbdAddress)) return config.nbdAddress
  if (config.publicUrl) return new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, '')
  return WILDCARDS.includes(config.host) ? '127.0.0.1' : config.host
}

/**
 * With LIFEBOAT_VOLUME_TRANSPORT=nbd, one supervised qemu-storage-daemon
 * (started on the first export, under `<data-dir>/nbd`) and the volume
 * service's view of it; null for the file transport.
 */
export function openVolumeStorage(config: LifeboatConfig, log: Logger): VolumeStorage | null {
  if (config.volumeTransport !== 'nbd') return null
  if (!onPath('qemu-storage-daemon')) {
    throw new StartupError('LIFEBOAT_VOLUME_TRANSPORT=nbd needs qemu-storage-daemon on the PATH (Debian: apt-get install qemu-system-common)')
  }
  const daemon = new StorageDaemon({
    runDir: path.join(config.dataDir, 'nbd'), listenHost: config.nbdAddress, listenPort: config.nbdPort, log: log.child({ component: 'nbd-exports' }),
  })
  const exports = new NbdVolumeExports(daemon, { host: nbdPublicHost(config), port: config.nbdPort, secret: exportSecret(config.dataDir) })
  return { exports, daemon }
}
