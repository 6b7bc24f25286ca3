import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/**
 * Byte pipes the agent carries for QEMU between a unix socket (a file, which
 * crosses the network namespace a `nat` QEMU runs in) and TCP on the host's
 * own network: a live migration's NBD and RAM streams. Each accepted
 * connection gets its own connection to the other side; either side's end or
 * error ends both. Bounded: at most `maxConnections` at once.
 */

/** Where a relay listens or connects: a unix socket's path, or a TCP address. */
export type RelayEnd = { path: string } | { host: string; port: number }

/** A listening relay. */
export interface StreamRelay {
  /** The TCP port it listens on (0 for a unix socket). */
  readonly port: number
  /** Stops listening, ends every piped connection and removes its unix socket file. */
  close(): Promise<void>
}

const DEFAULT_MAX_CONNECTIONS = 16

/**
 * A short unix socket path for one of a domain's relays (sun_path holds 108
 * bytes, so never inside a deep state folder): `<tmp>/lifeboat-qmp/<hash>.<role>.sock`.
 */
export function relaySocketPath(domainDir: string, role: string): string {
  const hash = crypto.createHash('sha256').update(domainDir).digest('hex').slice(0, 24)
  return path.join(os.tmpdir(), 'lifeboat-qmp', `${hash}.${role}.sock`)
}

function pipeBoth(a: net.Socket, b: net.Socket): void {
  const end = () => {
    a.destroy()
    b.destroy()
  }
  a.on('error', end).on('close', end)
  b.on('error', end).on('close', end)
  a.pipe(b)
  b.pipe(a)
}

/** Listens on `listen` and pipes every connection to a new connection to `target`. */
export async function startRelay(listen: RelayEnd, target: RelayEnd, options: { maxConnections?: number } = {}): Promise<StreamRelay> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((inbound) => {
    const outbound = net.connect('path' in target ? { path: target.path } : { host: target.host, port: target.port })
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    }
    pipeBoth(inbound, outbound)
  })
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  if ('path' in listen) {
    fs.mkdirSync(path.dirname(listen.path), { recursive: true })
    fs.rmSync(listen.path, { force: true })
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if ('path' in listen) server.listen(listen.path, () => resolve())
    else server.listen(listen.port, listen.host, () => resolve())
  })
  server.on('error', () => undefined)
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  let closed: Promise<void> | null = null
  return {
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }).then(() => {
        if ('path' in listen) fs.rmSync(listen.path, { force: true })
      })
      return closed
    },
  }
}

/** Closes relays, never throwing (clean-up paths). */
export async function closeRelays(relays: readonly StreamRelay[]): Promise<void> {
  await Promise.all(relays.map((relay) => relay.close().catch(() => undefined)))
}
