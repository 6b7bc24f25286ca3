import { useEffect, useRef, useState } from 'preact/hooks'
import { Terminal } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import type { Api } from './api.js'
import type { Server } from './types.js'
import { remoteConsoleUrl } from './remote-console.js'

/**
 * The server's serial console in the page: xterm.js over the console proxy's
 * websocket (subprotocol `binary`). Typed keys go out as text frames; the
 * guest's output comes back in binary frames, written to the terminal as bytes.
 */
export function SerialConsole({ api, server }: { api: Api; server: Server }) {
  const container = useRef<HTMLDivElement>(null)
  const [state, setState] = useState('connecting')
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    let disposed = false
    let socket: WebSocket | null = null
    const terminal = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, fontFamily: 'ui-monospace, Menlo, Consolas, monospace' })
    const fit = new FitAddon()
    terminal.loadAddon(fit)
    if (container.current) terminal.open(container.current)
    const refit = () => { try { fit.fit() } catch { /* not laid out yet */ } }
    refit()
    const observer = new ResizeObserver(refit)
    if (container.current) observer.observe(container.current)
    const input = terminal.onData((data) => { if (socket?.readyState === WebSocket.OPEN) socket.send(data) })
    setState('connecting')
    remoteConsoleUrl(api, server.id, 'serial').then((url) => {
      if (disposed) return
      socket = new WebSocket(url, ['binary'])
      socket.binaryType = 'arraybuffer'
      socket.onopen = () => { setState('connected'); terminal.focus() }
      socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
        terminal.write(typeof event.data === 'string' ? event.data : new Uint8Array(event.data))
      }
      socket.onclose = (event) => { if (!disposed) setState(`closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`) }
    }, (error: unknown) => { if (!disposed) setState(`unavailable: ${error instanceof Error ? error.message : String(error)}`) })
    return () => {
      disposed = true
      socket?.close()
      input.dispose()
      observer.disconnect()
      terminal.dispose()
    }
  }, [server.id, attempt])
  return (
    <div class="console">
      <div class="row">
        <span class="muted" data-console-state={state}>Serial console: {state}</span>
        <button class="link" onClick={() => setAttempt(attempt + 1)}>Reconnect</button>
      </div>
      <div class="terminal" ref={container} data-terminal />
    </div>
  )
}
