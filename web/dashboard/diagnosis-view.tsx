import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { usePoll } from './hooks.js'
import type { Finding, Server } from './types.js'
import { RescueRunForm } from './rescue-run-form.js'
import { RescueRunDetail } from './rescue-runs.js'

/**
 * A server's diagnosis (`GET /lifeboat/v1/servers/{id}/diagnosis`): the known
 * boot failures its console log shows, each with the lines that show it and
 * the proposed repair script, and a button that opens the rescue-run form with
 * that script on this server; the run started is then followed here.
 */
export function DiagnosisView({ api, server }: { api: Api; server: Server }) {
  const diagnosis = usePoll(() => api.request<{ diagnosis: { console_lines: number; findings: Finding[] } }>('lifeboat',
    `/servers/${encodeURIComponent(server.id)}/diagnosis`).then((b) => b.diagnosis), 0, server.id)
  const [repairing, setRepairing] = useState<Finding | null>(null)
  const [runId, setRunId] = useState<string | null>(null)
  const d = diagnosis.data
  return (
    <div class="diagnosis" data-view-body="diagnose">
      <div class="row">
        <button data-action="diagnose-again" onClick={diagnosis.reload}>Read the console log again</button>
        {d && <span class="muted">{d.console_lines} console lines read</span>}
      </div>
      {diagnosis.error && <p class="error" role="alert" data-error="diagnosis">{diagnosis.error}</p>}
      {!d ? (!diagnosis.error && <p>Loading…</p>) : d.findings.length === 0 ? <p data-no-findings>No known failure in the console log.</p> : d.findings.map((f) => (
        <div class="finding inset" key={f.rule} data-finding={f.rule}>
          <div class="row"><strong>{f.title}</strong><span class={f.severity === 'critical' ? 'status status-error' : 'status'}>{f.severity}</span><span class="muted mono">{f.rule}</span></div>
          <p class="hint">{f.explanation}</p>
          <pre data-finding-lines>{f.lines.map((l) => `${l.number}: ${l.text}`).join('\n')}</pre>
          {f.line_count > f.lines.length && <p class="hint">{f.line_count - f.lines.length} more lines like these.</p>}
          <details>
            <summary>Proposed repair script</summary>
            <pre data-repair-script>{f.repair_script}</pre>
          </details>
          <button class="primary" data-action="run-repair" onClick={() => { setRunId(null); setRepairing(repairing === f ? null : f) }}>Start a rescue run with this script…</button>
        </div>
      ))}
      {repairing && (
        <RescueRunForm key={repairing.rule} api={api} preset={{ script: repairing.repair_script, ids: [server.id] }}
          onStarted={(run) => { setRepairing(null); setRunId(run.id) }} />
      )}
      {runId && <RescueRunDetail api={api} runId={runId} />}
    </div>
  )
}
