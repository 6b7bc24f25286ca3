import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction } from './hooks.js'
import type { RescueRun } from './types.js'

/** What the form starts with: a diagnosis passes its repair script and its server. */
export interface RunFormPreset {
  script?: string
  ids?: string[]
}

/** The ids typed in the form: one per line, or separated by commas or spaces. */
const idsOf = (text: string) => text.split(/[\s,]+/).filter((id) => id !== '')

/** A field left empty is left out of the request (the API's default applies). */
const intOrNull = (text: string): number | null => (text.trim() === '' ? null : Number(text))

/**
 * Starts a fleet rescue run (`POST /lifeboat/v1/rescue-runs`): the script, the
 * servers (ids, a name pattern, a tag, a status: every one given must hold),
 * the rate, the error budget, the canary, the timeout and the unrescue policy.
 * A refusal shows the API's own message.
 */
export function RescueRunForm({ api, preset, onStarted }: { api: Api; preset?: RunFormPreset; onStarted: (run: RescueRun) => void }) {
  const [script, setScript] = useState(preset?.script ?? '')
  const [ids, setIds] = useState((preset?.ids ?? []).join('\n'))
  const [name, setName] = useState('')
  const [tag, setTag] = useState('')
  const [status, setStatus] = useState('')
  const [maxInFlight, setMaxInFlight] = useState('1')
  const [budgetKind, setBudgetKind] = useState<'none' | 'count' | 'percent'>('none')
  const [budget, setBudget] = useState('0')
  const [canary, setCanary] = useState('1')
  const [timeout, setTimeoutText] = useState('600')
  const [unrescue, setUnrescue] = useState('on-success')
  const [discard, setDiscard] = useState(false)
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => {
      const servers: Record<string, unknown> = {}
      if (idsOf(ids).length > 0) servers.ids = idsOf(ids)
      if (name) servers.name = name
      if (tag) servers.tag = tag
      if (status) servers.status = status
      const body: Record<string, unknown> = { script, servers, unrescue, discard_on_failure: discard }
      const numbers: Array<[string, string]> = [['max_in_flight', maxInFlight], ['canary', canary], ['timeout', timeout]]
      for (const [key, text] of numbers) {
        const value = intOrNull(text)
        if (value !== null) body[key] = value
      }
      if (budgetKind !== 'none' && intOrNull(budget) !== null) body.error_budget = { [budgetKind]: Number(budget) }
      const answer = await api.request<{ rescue_run: RescueRun }>('lifeboat', '/rescue-runs', { body })
      onStarted(answer.rescue_run)
    })
  }
  return (
    <form class="rescue-run inset" onSubmit={submit} data-form="rescue-run">
      <h3>Start a rescue run</h3>
      <p class="hint">Each server is rescued, the script runs in the rescue system against its own disks, and the server is unrescued by the policy.</p>
      <label>Script (runs as root in the rescue system)
        <textarea name="script" rows={8} value={script} onInput={(e) => setScript(e.currentTarget.value)} required />
      </label>
      <fieldset class="inset">
        <legend>Servers (every criterion given must hold)</legend>
        <label>Server ids (one a line)<textarea name="ids" rows={2} value={ids} onInput={(e) => setIds(e.currentTarget.value)} /></label>
        <label>Name (a regular expression, as Nova's name filter)<input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>Tag<input name="tag" value={tag} onInput={(e) => setTag(e.currentTarget.value)} /></label>
        <label>Status
          <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">any</option>
            {['ACTIVE', 'SHUTOFF', 'ERROR'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      </fieldset>
      <div class="row">
        <label>Max in flight<input name="max-in-flight" type="number" min="1" max="1000" value={maxInFlight} onInput={(e) => setMaxInFlight(e.currentTarget.value)} /></label>
        <label>Canary (servers run first, alone)<input name="canary" type="number" min="0" max="1000" value={canary} onInput={(e) => setCanary(e.currentTarget.value)} /></label>
        <label>Timeout (s)<input name="timeout" type="number" min="1" max="86400" value={timeout} onInput={(e) => setTimeoutText(e.currentTarget.value)} /></label>
      </div>
      <div class="row">
        <label>Error budget: stop when more than
          <select name="budget-kind" value={budgetKind} onChange={(e) => setBudgetKind(e.currentTarget.value as 'none' | 'count' | 'percent')}>
            <option value="none">no budget</option>
            <option value="count">N servers failed</option>
            <option value="percent">N % failed</option>
          </select>
        </label>
        {budgetKind !== 'none' && <label>N<input name="budget" type="number" min="0" value={budget} onInput={(e) => setBudget(e.currentTarget.value)} /></label>}
      </div>
      <label>Unrescue
        <select name="unrescue" value={unrescue} onChange={(e) => setUnrescue(e.currentTarget.value)}>
          <option value="on-success">on success (a failed server stays rescued for a look)</option>
          <option value="always">always</option>
          <option value="never">never</option>
        </select>
      </label>
      <label class="check"><input name="discard-on-failure" type="checkbox" checked={discard} onChange={(e) => setDiscard(e.currentTarget.checked)} /> Discard the changes of a failed run when it is unrescued</label>
      <button type="submit" class="primary" data-action="start-run" disabled={action.busy}>Start the run</button>
      {action.error && <p class="error" role="alert" data-error="rescue-run">{action.error}</p>}
    </form>
  )
}
