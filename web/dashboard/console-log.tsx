import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { usePoll } from './hooks.js'
import type { Server } from './types.js'

/** The last lines of the server's console log (`os-getConsoleOutput`), read again every few seconds. */
export function ConsoleLog({ api, server }: { api: Api; server: Server }) {
  const [lines, setLines] = useState(100)
  const log = usePoll(
    () => api.action<{ output: string }>(server.id, { 'os-getConsoleOutput': { length: lines } }).then((b) => b.output),
    3000, `${server.id}:${lines}`)
  return (
    <div class="console-log">
      <label class="inline">Lines <input type="number" min="1" max="10000" value={lines} onChange={(e) => setLines(Number(e.currentTarget.value) || 100)} /></label>
      {log.error && <p class="error">{log.error}</p>}
      <pre data-view-body="log">{log.data ?? 'Loading…'}</pre>
    </div>
  )
}
