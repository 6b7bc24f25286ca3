import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { FloatingIp, Network, Port, Server } from './types.js'

interface FloatingData { ips: FloatingIp[]; external: Network[]; servers: Server[]; ports: Port[] }

async function loadFloating(api: Api): Promise<FloatingData> {
  const [ips, external, servers, ports] = await Promise.all([
    api.request<{ floatingips: FloatingIp[] }>('network', '/v2.0/floatingips').then((b) => b.floatingips),
    api.request<{ networks: Network[] }>('network', '/v2.0/networks?router:external=true').then((b) => b.networks),
    api.request<{ servers: Server[] }>('compute', '/servers/detail').then((b) => b.servers),
    api.request<{ ports: Port[] }>('network', '/v2.0/ports').then((b) => b.ports),
  ])
  return { ips, external, servers, ports }
}

/** The project's floating IPs: allocate from an external network, associate with a server's port, disassociate, release. */
export function FloatingIpsView({ api }: { api: Api }) {
  const data = usePoll(() => loadFloating(api), 5000)
  const [pool, setPool] = useState('')
  const action = useAction()
  const d = data.data
  if (!d) return <section class="card"><h2>Floating IPs</h2><p>{data.error ?? 'Loading…'}</p></section>
  const serverOfPort = (portId: string | null) => d.servers.find((s) => d.ports.some((p) => p.id === portId && p.device_id === s.id))
  const act = (fn: () => Promise<unknown>) => void action.run(async () => { await fn(); data.reload() })
  const update = (id: string, portId: string | null) =>
    act(() => api.request('network', `/v2.0/floatingips/${id}`, { method: 'PUT', body: { floatingip: { port_id: portId } } }))
  const poolId = pool || d.external[0]?.id || ''
  return (
    <section class="card">
      <h2>Floating IPs</h2>
      <div class="row">
        <select name="pool" value={poolId} onChange={(e) => setPool(e.currentTarget.value)}>
          {d.external.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
        </select>
        <button data-action="allocate" disabled={!poolId || action.busy}
          onClick={() => act(() => api.request('network', '/v2.0/floatingips', { body: { floatingip: { floating_network_id: poolId } } }))}>Allocate</button>
      </div>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      <table class="list">
        <thead><tr><th>Address</th><th>Server</th><th>Fixed IP</th><th /></tr></thead>
        <tbody>
          {d.ips.map((ip) => (
            <tr key={ip.id} data-fip={ip.floating_ip_address}>
              <td>{ip.floating_ip_address}</td>
              <td>
                {ip.port_id ? serverOfPort(ip.port_id)?.name ?? ip.port_id : (
                  <select name="associate" value="" onChange={(e) => {
                    const port = d.ports.find((p) => p.device_id === e.currentTarget.value)
                    if (port) update(ip.id, port.id)
                  }}>
                    <option value="">associate with…</option>
                    {d.servers.filter((s) => d.ports.some((p) => p.device_id === s.id)).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
                  </select>
                )}
              </td>
              <td>{ip.fixed_ip_address ?? ''}</td>
              <td>
                <div class="buttons">
                  {ip.port_id && <button data-action="disassociate" onClick={() => update(ip.id, null)}>Disassociate</button>}
                  <button class="danger" data-action="release" onClick={() => act(() => api.request('network', `/v2.0/floatingips/${ip.id}`, { method: 'DELETE' }))}>Release</button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
