import type { Api } from './api.js'
import { usePoll } from './hooks.js'
import type { InstanceAction, Server } from './types.js'

/** How often the actions are read again while the server is busy, and when it is not. */
const BUSY_POLL_MS = 1000
const IDLE_POLL_MS = 5000
/** Only the newest actions get their events loaded (one request each). */
const WITH_EVENTS = 5

/** Nova's timestamps carry no zone (`2026-12-05T01:02:03.000000`): they are UTC. */
const utcMillis = (time: string) => Date.parse(/(?:Z|[+-]\d\d:?\d\d)$/i.test(time) ? time : `${time}Z`)

/** `2.4 s` / `180 ms` between two timestamps, or `running` while an event has no end. */
export function duration(start: string, finish: string | null): string {
  if (!finish) return 'running'
  const ms = utcMillis(finish) - utcMillis(start)
  if (!Number.isFinite(ms)) return ''
  return ms < 1000 ? `${Math.max(0, ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

async function loadActions(api: Api, serverId: string): Promise<InstanceAction[]> {
  const base = `/servers/${encodeURIComponent(serverId)}/os-instance-actions`
  const { instanceActions } = await api.request<{ instanceActions: InstanceAction[] }>('compute', base)
  const newest = instanceActions.slice(0, WITH_EVENTS)
  const detailed = await Promise.all(newest.map((a) =>
    api.request<{ instanceAction: InstanceAction }>('compute', `${base}/${encodeURIComponent(a.request_id)}`).then((b) => b.instanceAction, () => a)))
  return [...detailed, ...instanceActions.slice(WITH_EVENTS)]
}

/** The server's instance actions, newest first, with each event (each rescue step) and how long it took. */
export function ActionsView({ api, server }: { api: Api; server: Server }) {
  const busy = Boolean(server['OS-EXT-STS:task_state'])
  const actions = usePoll(() => loadActions(api, server.id), busy ? BUSY_POLL_MS : IDLE_POLL_MS, `${server.id}:${busy}:${server.status}`)
  if (!actions.data) return <p>{actions.error ?? 'Loading…'}</p>
  return (
    <div class="actions" data-view-body="actions">
      {actions.data.length === 0 && <p>No actions.</p>}
      {actions.data.map((a) => (
        <div class="action" key={a.request_id} data-action-name={a.action}>
          <div class="row"><strong>{a.action}</strong><span class="muted">{a.start_time}</span>{a.message && <span class="error">{a.message}</span>}</div>
          {a.events && a.events.length > 0 && (
            <table class="events">
              <tbody>
                {[...a.events].sort((x, y) => utcMillis(x.start_time) - utcMillis(y.start_time)).map((e) => (
                  <tr key={e.event + e.start_time} data-event={e.event}>
                    <td>{e.event}</td>
                    <td class={e.result === 'Success' ? 'ok' : e.result ? 'error' : 'muted'}>{e.result ?? 'in progress'}</td>
                    <td class="num">{duration(e.start_time, e.finish_time)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </div>
  )
}
