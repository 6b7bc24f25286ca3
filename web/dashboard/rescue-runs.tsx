import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { RescueRun, Server } from './types.js'
import { RescueRunForm } from './rescue-run-form.js'

/** How often the list and an open run are read again (states move on their own). */
const POLL_MS = 2000
/** A run in one of these states changes no more. */
const FINAL = new Set(['succeeded', 'completed', 'failed', 'cancelled'])

/** `3 succeeded · 1 failed`: the run's per-state counts, the non-zero ones. */
function countsLine(run: RescueRun): string {
  return Object.entries(run.counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(' · ')
}

/** The servers a run took, as the user gave them. */
function selectorLine(run: RescueRun): string {
  const s = run.servers_selector
  return [s.ids && `${s.ids.length} id${s.ids.length === 1 ? '' : 's'}`, s.name && `name ~ ${s.name}`, s.tag && `tag ${s.tag}`, s.status && `status ${s.status}`]
    .filter(Boolean).join(', ')
}

/** The project's fleet rescue runs: the list, the start form, and the selected run. */
export function RescueRunsView({ api }: { api: Api }) {
  const runs = usePoll(() => api.request<{ rescue_runs: RescueRun[] }>('lifeboat', '/rescue-runs').then((b) => b.rescue_runs), POLL_MS)
  const [selected, setSelected] = useState<string | null>(null)
  const [creating, setCreating] = useState(false)
  return (
    <div class="servers">
      <section class="card">
        <div class="row">
          <h2>Rescue runs</h2>
          <button data-action="new-run" onClick={() => setCreating(!creating)}>{creating ? 'Close' : 'Start a rescue run'}</button>
        </div>
        {creating && <RescueRunForm api={api} onStarted={(run) => { setCreating(false); setSelected(run.id); runs.reload() }} />}
        {runs.error && <p class="error">{runs.error}</p>}
        {runs.data === undefined ? <p>Loading…</p> : runs.data.length === 0 ? <p>No rescue runs yet.</p> : (
          <table class="list">
            <thead><tr><th>Run</th><th>State</th><th>Servers</th><th>Selection</th><th>Started</th></tr></thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id} data-run={r.id} class={r.id === selected ? 'selected' : ''} onClick={() => setSelected(r.id)}>
                  <td><button class="link mono">{r.id.slice(0, 8)}</button></td>
                  <td data-run-state={r.state}>{r.state}</td>
                  <td>{countsLine(r)}</td>
                  <td>{selectorLine(r)}</td>
                  <td class="muted">{r.created_at}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {selected && <RescueRunDetail key={selected} api={api} runId={selected} />}
    </div>
  )
}

/**
 * One run: its state and reason, and each server's state, exit status and the
 * tail of its output; read again until the run is final (and on Refresh); Cancel
 * while it runs.
 */
export function RescueRunDetail({ api, runId }: { api: Api; runId: string }) {
  const [final, setFinal] = useState(false)
  const run = usePoll(async () => {
    const answer = await api.request<{ rescue_run: RescueRun }>('lifeboat', `/rescue-runs/${encodeURIComponent(runId)}`)
    setFinal(FINAL.has(answer.rescue_run.state))
    return answer.rescue_run
  }, final ? 0 : POLL_MS, `${runId}:${final}`)
  // Names for the ids: the project's servers (an admin's run across projects shows bare ids for the others).
  const names = usePoll(() => api.request<{ servers: Server[] }>('compute', '/servers').then((b) => new Map(b.servers.map((s) => [s.id, s.name]))), 0, runId)
  const cancel = useAction()
  const r = run.data
  return (
    <section class="card panel" data-run-detail={runId}>
      <div class="row">
        <h2>Rescue run <span class="mono">{runId}</span></h2>
        {r && <span class="status" data-detail-state={r.state}>{r.state}</span>}
        <button data-action="refresh-run" onClick={run.reload}>Refresh</button>
        <button data-action="cancel-run" class="danger" disabled={!r || FINAL.has(r.state) || r.state === 'cancelling' || cancel.busy}
          onClick={() => void cancel.run(async () => { await api.request('lifeboat', `/rescue-runs/${encodeURIComponent(runId)}/cancel`, { body: {} }); run.reload() })}>Cancel</button>
      </div>
      {run.error && <p class="error">{run.error}</p>}
      {cancel.error && <p class="error" role="alert" data-error="cancel-run">{cancel.error}</p>}
      {!r ? <p>Loading…</p> : (
        <>
          {r.reason && <p class="notice" data-run-reason>{r.reason}</p>}
          <p class="muted">
            {countsLine(r)} · max in flight {r.max_in_flight} · canary {r.canary} · timeout {r.timeout} s · unrescue {r.unrescue}
            {r.discard_on_failure ? ' · discard on failure' : ''}
            {r.error_budget.count !== null ? ` · budget ${r.error_budget.count} failed` : r.error_budget.percent !== null ? ` · budget ${r.error_budget.percent} %` : ''}
          </p>
          <table class="runs">
            <thead><tr><th>Server</th><th>State</th><th>Exit</th><th>Reason</th><th>Output (tail)</th></tr></thead>
            <tbody>
              {(r.servers ?? []).map((s) => (
                <tr key={s.id} data-run-server={names.data?.get(s.server_id) ?? s.server_id}>
                  <td>{names.data?.get(s.server_id) ?? <span class="mono">{s.server_id}</span>}</td>
                  <td data-server-state={s.state}>{s.state}</td>
                  <td class="num">{s.exit_status ?? ''}{s.timed_out ? ' (timed out)' : ''}</td>
                  <td>{s.reason ?? ''}</td>
                  <td>{s.output ? <pre class="output" data-output>{s.output}</pre> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}
