/**
 * NBD export addresses as QEMU's own URI syntax writes them
 * (`nbd://host:port/export`, docs/system/images.rst of QEMU): the volume
 * service puts one in a volume disk's `path` when volumes are served over NBD,
 * and the agent's QEMU driver turns it back into `driver=nbd` block options.
 */

/** One NBD export on a TCP server. */
export interface NbdTarget {
  host: string
  port: number
  /** The export name (Lifeboat's are unguessable: see docs/architecture.md, "Storage"). */
  export: string
}

/** `nbd://host:port/export` (an IPv6 host in brackets). */
export function nbdUrl(target: NbdTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return `nbd://${host}:${target.port}/${encodeURIComponent(target.export)}`
}

/** The target of an `nbd://` URL; null for anything else (a file path). */
export function parseNbdUrl(value: string): NbdTarget | null {
  if (!value.startsWith('nbd://')) return null
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  const port = url.port === '' ? 10809 : Number(url.port)
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (!url.hostname || !name) return null
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port, export: name }
}

/**
 * Seconds a guest's I/O waits for the NBD server to come back (QEMU's
 * `reconnect-delay`; the client keeps reconnecting after that, failing I/O
 * meanwhile): the supervised daemon restarts within it. Without it a
 * restarted daemon leaves every attached disk failing.
 */
export const NBD_RECONNECT_DELAY_SECONDS = 30

/** QEMU's `driver=nbd` blockdev options (QAPI BlockdevOptionsNbd) for a target, as QMP `blockdev-add` takes them. */
export function nbdBlockdev(target: NbdTarget): { driver: 'nbd'; server: { type: 'inet'; host: string; port: string }; export: string; 'reconnect-delay': number } {
  return { driver: 'nbd', server: { type: 'inet', host: target.host, port: String(target.port) }, export: target.export, 'reconnect-delay': NBD_RECONNECT_DELAY_SECONDS }
}

/** Whether a disk's path is an `nbd://` URL rather than a file. */
export function isNbdUrl(value: string): boolean {
  return value.startsWith('nbd://')
}
