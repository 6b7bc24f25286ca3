import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { usePoll } from './hooks.js'
import type { Server } from './types.js'
import { CreateServerForm } from './create-server.js'
import { ServerPanel } from './server-panel.js'

/** How often the server list is read again (live status). */
const POLL_MS = 2000

/** The addresses of a server, one line: `private 10.0.0.5, 172.24.4.10 (floating)`. */
function addressLine(server: Server): string {
  return Object.entries(server.addresses ?? {})
    .map(([net, list]) => `${net} ${list.map((a) => a.addr + (a['OS-EXT-IPS:type'] === 'floating' ? ' (floating)' : '')).join(', ')}`)
    .join('; ')
}

/** The project's servers with live status, the create form, and the selected server's panel. */
export function ServersView({ api }: { api: Api }) {
  const servers = usePoll(() => api.request<{ servers: Server[] }>('compute', '/servers/detail').then((b) => b.servers), POLL_MS)
  const [selected, setSelected] = useState<string | null>(null)
  const [creating, setCreating] = useState(false)
  const current = servers.data?.find((s) => s.id === selected) ?? null
  return (
    <div class="servers">
      <section class="card">
        <div class="row">
          <h2>Servers</h2>
          <button data-action="new-server" onClick={() => setCreating(!creating)}>{creating ? 'Close' : 'Create server'}</button>
        </div>
        {creating && <CreateServerForm api={api} onCreated={(id) => { setCreating(false); setSelected(id); servers.reload() }} />}
        {servers.error && <p class="error">{servers.error}</p>}
        {servers.data === undefined ? <p>Loading…</p> : servers.data.length === 0 ? <p>No servers yet.</p> : (
          <table class="list">
            <thead><tr><th>Name</th><th>Status</th><th>Task</th><th>Addresses</th></tr></thead>
            <tbody>
              {servers.data.map((s) => (
                <tr key={s.id} data-server={s.name} class={s.id === selected ? 'selected' : ''} onClick={() => setSelected(s.id)}>
                  <td><button class="link">{s.name}</button></td>
                  <td><span class={`status status-${s.status.toLowerCase()}`} data-status={s.status}>{s.status}</span></td>
                  <td>{s['OS-EXT-STS:task_state'] ?? ''}</td>
                  <td>{addressLine(s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {current && <ServerPanel key={current.id} api={api} server={current} onChanged={servers.reload} />}
    </div>
  )
}
