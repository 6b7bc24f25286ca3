import net from 'node:net'
import type { Duplex } from 'node:stream'
import { DriverError } from '../virt-driver.js'
import { DriverErrorCode } from '../error-codes.js'
import type { QemuHost } from './qemu-host.js'
import { runningPid } from './qemu-process.js'

/**
 * A new connection to a running guest's serial or VNC unix socket. QEMU
 * serves one serial client at a time (a second one waits in the backlog until
 * the first leaves), so the agent holds one serial connection per guest and
 * shares it; VNC takes a connection per viewer. A process started before
 * consoles had sockets has none until its next boot.
 */
export async function openQemuConsole(host: QemuHost, instanceId: string, console: 'serial' | 'vnc'): Promise<Duplex> {
  const record = host.record(instanceId)
  const paths = host.store.paths(instanceId)
  if (runningPid(paths) === null) throw new DriverError(`domain ${instanceId} is not running`, { code: DriverErrorCode.CONSOLE_NOT_RUNNING })
  const socketPath = console === 'serial' ? paths.consoleSocket : paths.vncSocket
  if (!record.argv.some((arg) => arg.includes(socketPath))) {
    throw new DriverError(`domain ${instanceId} runs without a ${console} console socket (it gets one at its next boot)`, { code: DriverErrorCode.CONSOLE_UNSUPPORTED })
  }
  return new Promise<Duplex>((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (error) => {
      socket.destroy()
      reject(new DriverError(`the ${console} console of domain ${instanceId} could not be opened: ${error.message}`, { cause: error }))
    })
  })
}
