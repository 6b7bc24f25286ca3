import net from 'node:net'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'

/** A host forward of slirp4netns (`list_hostfwd`): host side in the host's network, guest side in the namespace. */
export interface NamespaceForward {
  id: number
  proto: string
  host_addr: string
  host_port: number
  guest_addr: string
  guest_port: number
}

const TIMEOUT_MS = 5000

/**
 * One request to slirp4netns's API socket (one JSON object per connection,
 * answered with `{"return": …}` or `{"error": {"desc": …}}`; `list_hostfwd`
 * answers `{"entries": […]}` bare, which is returned whole).
 */
export async function slirpApi<T>(socket: string, execute: string, args?: Record<string, unknown>): Promise<T> {
  const answer = await new Promise<string>((resolve, reject) => {
    const connection = net.createConnection(socket)
    let text = ''
    connection.setTimeout(TIMEOUT_MS, () => connection.destroy(new Error('no answer in time')))
    connection.setEncoding('utf8')
    connection.on('connect', () => connection.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}) })))
    connection.on('data', (chunk: string) => { text += chunk })
    connection.on('error', reject)
    connection.on('close', () => resolve(text))
  }).catch((error: unknown) => {
    throw new DriverError(`slirp4netns API ${execute} failed: ${error instanceof Error ? error.message : String(error)}`, { code: DriverErrorCode.QMP_UNREACHABLE, cause: error })
  })
  let reply: { return?: T; error?: { desc?: string } } & Record<string, unknown>
  try {
    reply = JSON.parse(answer) as typeof reply
  } catch {
    throw new DriverError(`slirp4netns API ${execute} answered ${JSON.stringify(answer.slice(0, 200))}`, { code: DriverErrorCode.QMP_ERROR })
  }
  if (reply === null || typeof reply !== 'object' || reply.error) {
    throw new DriverError(`slirp4netns API ${execute} failed: ${reply?.error?.desc ?? 'no answer'}`, { code: DriverErrorCode.QMP_ERROR })
  }
  return reply.return ?? (reply as T)
}

/** Every host forward of a namespace. */
export async function listNamespaceForwards(socket: string): Promise<NamespaceForward[]> {
  return (await slirpApi<{ entries?: NamespaceForward[] }>(socket, 'list_hostfwd')).entries ?? []
}

/** Adds a host forward; resolves with its id. */
export async function addNamespaceForward(socket: string, forward: Omit<NamespaceForward, 'id'>): Promise<number> {
  return (await slirpApi<{ id: number }>(socket, 'add_hostfwd', { ...forward })).id
}

/** Removes a host forward by id. */
export async function removeNamespaceForward(socket: string, id: number): Promise<void> {
  await slirpApi<unknown>(socket, 'remove_hostfwd', { id })
}

/**
 * The namespace port an inner listener of a new forward takes: the host
 * port itself when no other forward of the namespace uses it there, else
 * the next free one above 1024. Pure.
 */
export function innerPort(hostPort: number, taken: Iterable<number>): number {
  const used = new Set(taken)
  if (!used.has(hostPort)) return hostPort
  const first = Math.max(hostPort + 1, 1025)
  for (let i = 0; i < 64511; i++) {
    const port = 1025 + ((first - 1025 + i) % 64511)
    if (!used.has(port)) return port
  }
  throw new DriverError('the guest\'s network namespace has no free port left for a forward', { code: DriverErrorCode.NO_FREE_ADDRESS })
}
