import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction } from './hooks.js'
import type { Server } from './types.js'
import { RescueForm, UnrescueForm } from './rescue-forms.js'
import { ActionsView } from './actions-view.js'
import { ConsoleLog } from './console-log.js'
import { SerialConsole } from './serial-console.js'
import { VncConsole } from './vnc-console.js'
import { ServerActionsMenu } from './server-actions-menu.js'
import { DiagnosisView } from './diagnosis-view.js'

type View = 'actions' | 'log' | 'serial' | 'vnc' | 'diagnose'

const VIEWS: Array<[View, string]> = [['actions', 'Actions'], ['log', 'Console log'], ['serial', 'Serial console'], ['vnc', 'VNC console'], ['diagnose', 'Diagnose']]

/** One server: power actions, rescue and unrescue, the other server actions, and its actions, console log and consoles. */
export function ServerPanel({ api, server, onChanged }: { api: Api; server: Server; onChanged: () => void }) {
  const [view, setView] = useState<View>('actions')
  const [form, setForm] = useState<'rescue' | 'unrescue' | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const action = useAction()
  const busy = Boolean(server['OS-EXT-STS:task_state'])
  const rescued = server.status === 'RESCUE'
  const power = (body: unknown) => void action.run(async () => { await api.action(server.id, body); onChanged() })
  const remove = () => {
    if (!confirm(`Delete server ${server.name}?`)) return
    void action.run(async () => { await api.request('compute', `/servers/${server.id}`, { method: 'DELETE' }); onChanged() })
  }
  return (
    <section class="card panel" data-panel={server.name}>
      <div class="row">
        <h2>{server.name} <span class={`status status-${server.status.toLowerCase()}`}>{server.status}</span></h2>
        <span class="muted">{server.id}</span>
      </div>
      {server.fault && <p class="error">Fault: {server.fault.message}</p>}
      <div class="buttons">
        <button data-action="start" disabled={busy || server.status !== 'SHUTOFF'} onClick={() => power({ 'os-start': null })}>Start</button>
        <button data-action="stop" disabled={busy || server.status !== 'ACTIVE'} onClick={() => power({ 'os-stop': null })}>Stop</button>
        <button data-action="reboot" disabled={busy || server.status !== 'ACTIVE'} onClick={() => power({ reboot: { type: 'SOFT' } })}>Reboot</button>
        <button data-action="rescue" class="primary" disabled={busy || rescued} onClick={() => setForm(form === 'rescue' ? null : 'rescue')}>Rescue…</button>
        <button data-action="unrescue" disabled={busy || !rescued} onClick={() => setForm(form === 'unrescue' ? null : 'unrescue')}>Unrescue…</button>
        <button data-action="delete" class="danger" disabled={action.busy} onClick={remove}>Delete</button>
      </div>
      <ServerActionsMenu api={api} server={server} onNotice={setNotice} onChanged={onChanged} />
      {action.error && <p class="error" role="alert">{action.error}</p>}
      {notice && <p class="notice" data-notice>{notice} <button class="link" onClick={() => setNotice(null)}>dismiss</button></p>}
      {form === 'rescue' && <RescueForm api={api} server={server} onDone={(n) => { setForm(null); setNotice(n); setView('actions'); onChanged() }} />}
      {form === 'unrescue' && rescued && <UnrescueForm api={api} server={server} onDone={(n) => { setForm(null); setNotice(n); onChanged() }} />}
      <nav class="subtabs">
        {VIEWS.map(([v, label]) => <button key={v} data-view={v} class={v === view ? 'tab active' : 'tab'} onClick={() => setView(v)}>{label}</button>)}
      </nav>
      {view === 'actions' && <ActionsView api={api} server={server} />}
      {view === 'log' && <ConsoleLog api={api} server={server} />}
      {view === 'serial' && <SerialConsole api={api} server={server} />}
      {view === 'vnc' && <VncConsole api={api} server={server} />}
      {view === 'diagnose' && <DiagnosisView api={api} server={server} />}
    </section>
  )
}
