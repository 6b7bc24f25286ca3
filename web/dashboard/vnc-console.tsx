import { useEffect, useRef, useState } from 'preact/hooks'
import RFB from '@novnc/novnc'
import type { Api } from './api.js'
import type { Server } from './types.js'
import { novncWebsocketUrl, remoteConsoleUrl } from './remote-console.js'

/** The server's graphical console: noVNC's RFB over the console proxy's websocket. */
export function VncConsole({ api, server }: { api: Api; server: Server }) {
  const container = useRef<HTMLDivElement>(null)
  const rfb = useRef<RFB | null>(null)
  const [state, setState] = useState('connecting')
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    let disposed = false
    setState('connecting')
    remoteConsoleUrl(api, server.id, 'novnc').then((url) => {
      if (disposed || !container.current) return
      const client = new RFB(container.current, novncWebsocketUrl(url), { wsProtocols: ['binary'] })
      client.scaleViewport = true
      client.addEventListener('connect', () => setState('connected'))
      client.addEventListener('disconnect', (event) => {
        const clean = (event as CustomEvent<{ clean: boolean }>).detail?.clean
        if (!disposed) setState(clean ? 'disconnected' : 'connection lost')
      })
      rfb.current = client
    }, (error: unknown) => { if (!disposed) setState(`unavailable: ${error instanceof Error ? error.message : String(error)}`) })
    return () => {
      disposed = true
      rfb.current?.disconnect()
      rfb.current = null
    }
  }, [server.id, attempt])
  return (
    <div class="console">
      <div class="row">
        <span class="muted" data-console-state={state}>VNC console: {state}</span>
        <button class="link" onClick={() => rfb.current?.sendCtrlAltDel()}>Send Ctrl-Alt-Del</button>
        <button class="link" onClick={() => setAttempt(attempt + 1)}>Reconnect</button>
      </div>
      <div class="vnc" ref={container} data-vnc />
    </div>
  )
}
