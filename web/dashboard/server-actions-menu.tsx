import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction } from './hooks.js'
import type { Server } from './types.js'
import { BackupForm, PasswordForm, RebuildForm, ResetStateForm, ResizeForm } from './server-action-forms.js'

type Form = 'rebuild' | 'resize' | 'backup' | 'password' | 'reset-state'

/** A one-click action: its body, the states Nova allows it from, and what to say once it is accepted. */
interface Simple {
  id: string
  label: string
  body: unknown
  states: string[]
  notice: string
  /** Asked before sending (irreversible actions). */
  confirm?: (name: string) => string
}

const SIMPLE: Simple[] = [
  { id: 'confirm-resize', label: 'Confirm resize', body: { confirmResize: null }, states: ['VERIFY_RESIZE'], notice: 'Resize confirmed.' },
  { id: 'revert-resize', label: 'Revert resize', body: { revertResize: null }, states: ['VERIFY_RESIZE'], notice: 'Resize reverted.' },
  { id: 'shelve', label: 'Shelve', body: { shelve: null }, states: ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'], notice: 'Shelve requested.' },
  { id: 'shelve-offload', label: 'Shelve offload', body: { shelveOffload: null }, states: ['SHELVED'], notice: 'Shelve offload requested.' },
  { id: 'unshelve', label: 'Unshelve', body: { unshelve: null }, states: ['SHELVED', 'SHELVED_OFFLOADED'], notice: 'Unshelve requested.' },
  {
    id: 'crash-dump', label: 'Trigger crash dump', body: { trigger_crash_dump: null }, states: ['ACTIVE', 'PAUSED', 'RESCUE'], notice: 'Crash dump triggered (an NMI was sent to the guest).',
    confirm: (name) => `Send an NMI to ${name}? Its kernel may crash and reboot.`,
  },
  { id: 'restore', label: 'Restore', body: { restore: null }, states: ['SOFT_DELETED'], notice: 'Restore requested.' },
  { id: 'force-delete', label: 'Force delete', body: { forceDelete: null }, states: ['SOFT_DELETED'], notice: 'Force delete requested.', confirm: (name) => `Delete ${name} now, for good?` },
]

/** The forms, the states they are offered in, and whether only admins get them. */
const FORMS: Array<{ id: Form; label: string; states: string[]; admin?: boolean }> = [
  { id: 'rebuild', label: 'Rebuild…', states: ['ACTIVE', 'SHUTOFF', 'ERROR'] },
  { id: 'resize', label: 'Resize…', states: ['ACTIVE', 'SHUTOFF'] },
  { id: 'backup', label: 'Create backup…', states: ['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'] },
  { id: 'password', label: 'Set root password…', states: ['ACTIVE'] },
  { id: 'reset-state', label: 'Reset state…', states: [], admin: true },
]

/**
 * The server's other actions through the public compute API with the user's
 * token: rebuild, resize and its confirm/revert, shelve, shelve offload and
 * unshelve, create backup, set the root password, trigger a crash dump,
 * restore and force delete a soft-deleted server, and (admins) reset state.
 * Each is offered in the states Nova allows; a refusal shows the API's text.
 */
export function ServerActionsMenu({ api, server, onNotice, onChanged }: { api: Api; server: Server; onNotice: (notice: string) => void; onChanged: () => void }) {
  const [form, setForm] = useState<Form | null>(null)
  const action = useAction()
  const busy = Boolean(server['OS-EXT-STS:task_state']) || action.busy
  const admin = (api.session.roles ?? []).includes('admin')
  const send = (simple: Simple) => {
    if (simple.confirm && !confirm(simple.confirm(server.name))) return
    void action.run(async () => { await api.action(server.id, simple.body); onNotice(simple.notice); onChanged() })
  }
  const done = (notice: string) => { setForm(null); onNotice(notice); onChanged() }
  const props = { api, server, onDone: done }
  return (
    <div class="more-actions">
      <div class="buttons">
        {FORMS.filter((f) => !f.admin || admin).map((f) => (
          <button key={f.id} data-action={f.id} disabled={busy || (f.states.length > 0 && !f.states.includes(server.status))} onClick={() => setForm(form === f.id ? null : f.id)}>{f.label}</button>
        ))}
        {SIMPLE.filter((s) => s.states.includes(server.status)).map((s) => (
          <button key={s.id} data-action={s.id} class={s.confirm ? 'danger' : undefined} disabled={busy} onClick={() => send(s)}>{s.label}</button>
        ))}
      </div>
      {action.error && <p class="error" role="alert" data-error="server-action">{action.error}</p>}
      {form === 'rebuild' && <RebuildForm {...props} />}
      {form === 'resize' && <ResizeForm {...props} />}
      {form === 'backup' && <BackupForm {...props} />}
      {form === 'password' && <PasswordForm {...props} />}
      {form === 'reset-state' && admin && <ResetStateForm {...props} />}
    </div>
  )
}
