import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { Flavor, Image, Server } from './types.js'

/** What every action form gets: the server and where to say it is done. */
interface FormProps {
  api: Api
  server: Server
  onDone: (notice: string) => void
}

/** A form's submit: runs `send` with the form's own error line (the API's message as is). */
function useSubmit(send: () => Promise<string>, onDone: (notice: string) => void) {
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => onDone(await send()))
  }
  return { action, submit }
}

/** Rebuild: a new root disk from the chosen image (Nova `rebuild`); the answer's new password is shown once. */
export function RebuildForm({ api, server, onDone }: FormProps) {
  const images = usePoll(() => api.request<{ images: Image[] }>('image', '/v2/images?status=active').then((b) => b.images), 0)
  const [image, setImage] = useState(server.image ? server.image.id : '')
  const [preserve, setPreserve] = useState(false)
  const { action, submit } = useSubmit(async () => {
    const body: Record<string, unknown> = { imageRef: image }
    if (preserve) body.preserve_ephemeral = true
    const answer = await api.action<{ server?: { adminPass?: string } } | null>(server.id, { rebuild: body })
    const pass = answer?.server?.adminPass
    return pass ? `Rebuild started. New password: ${pass}` : 'Rebuild started.'
  }, onDone)
  return (
    <form class="inset" onSubmit={submit} data-form="rebuild">
      <h3>Rebuild {server.name}</h3>
      <p class="hint">The root disk is recreated from the image: what was written on it is lost. Volumes stay.</p>
      {!images.data ? <p>{images.error ?? 'Loading…'}</p> : (
        <label>Image
          <select name="rebuild-image" value={image} onChange={(e) => setImage(e.currentTarget.value)}>
            {image === '' && <option value="">choose an image</option>}
            {images.data.map((i) => <option key={i.id} value={i.id}>{i.name ?? i.id}</option>)}
          </select>
        </label>
      )}
      <label class="check"><input name="preserve-ephemeral" type="checkbox" checked={preserve} onChange={(e) => setPreserve(e.currentTarget.checked)} /> Keep the ephemeral disk</label>
      <button type="submit" class="primary" data-action="confirm-rebuild" disabled={action.busy || image === ''}>Rebuild</button>
      {action.error && <p class="error" role="alert" data-error="rebuild">{action.error}</p>}
    </form>
  )
}

/** Resize: another flavor (Nova `resize`); the server then waits in VERIFY_RESIZE for confirm or revert. */
export function ResizeForm({ api, server, onDone }: FormProps) {
  const flavors = usePoll(() => api.request<{ flavors: Flavor[] }>('compute', '/flavors/detail').then((b) => b.flavors), 0)
  const [flavor, setFlavor] = useState('')
  const { action, submit } = useSubmit(async () => {
    await api.action(server.id, { resize: { flavorRef: flavor } })
    return 'Resize started: confirm or revert it once the server is VERIFY_RESIZE.'
  }, onDone)
  const others = (flavors.data ?? []).filter((f) => f.name !== server.flavor.original_name && f.id !== server.flavor.id)
  return (
    <form class="inset" onSubmit={submit} data-form="resize">
      <h3>Resize {server.name}</h3>
      {!flavors.data ? <p>{flavors.error ?? 'Loading…'}</p> : (
        <label>Flavor
          <select name="resize-flavor" value={flavor} onChange={(e) => setFlavor(e.currentTarget.value)}>
            <option value="">choose a flavor</option>
            {others.map((f) => <option key={f.id} value={f.id}>{`${f.name} — ${f.vcpus} vCPU, ${f.ram} MiB, ${f.disk} GiB`}</option>)}
          </select>
        </label>
      )}
      <button type="submit" class="primary" data-action="confirm-resize-form" disabled={action.busy || flavor === ''}>Resize</button>
      {action.error && <p class="error" role="alert" data-error="resize">{action.error}</p>}
    </form>
  )
}

/** Create backup: an image of the server, keeping the newest `rotation` backups of this type (Nova `createBackup`). */
export function BackupForm({ api, server, onDone }: FormProps) {
  const [name, setName] = useState(`${server.name}-backup`)
  const [type, setType] = useState('daily')
  const [rotation, setRotation] = useState(1)
  const { action, submit } = useSubmit(async () => {
    const answer = await api.action<{ image_id?: string } | null>(server.id, { createBackup: { name, backup_type: type, rotation } })
    return answer?.image_id ? `Backup started: image ${answer.image_id}.` : 'Backup started.'
  }, onDone)
  return (
    <form class="inset" onSubmit={submit} data-form="backup">
      <h3>Create a backup of {server.name}</h3>
      <label>Name <input name="backup-name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
      <label>Type
        <select name="backup-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="daily">daily</option>
          <option value="weekly">weekly</option>
        </select>
      </label>
      <label>Backups of this type to keep
        <input name="backup-rotation" type="number" min="0" value={rotation} onInput={(e) => setRotation(Number(e.currentTarget.value) || 0)} />
      </label>
      <button type="submit" class="primary" data-action="confirm-backup" disabled={action.busy || name.trim() === ''}>Create backup</button>
      {action.error && <p class="error" role="alert" data-error="backup">{action.error}</p>}
    </form>
  )
}

/** Set the root password (Nova `changePassword`): the API's refusal is shown word for word. */
export function PasswordForm({ api, server, onDone }: FormProps) {
  const [password, setPassword] = useState('')
  const { action, submit } = useSubmit(async () => {
    await api.action(server.id, { changePassword: { adminPass: password } })
    return 'Password change requested.'
  }, onDone)
  return (
    <form class="inset" onSubmit={submit} data-form="password">
      <h3>Set the root password of {server.name}</h3>
      <label>New password <input name="admin-pass" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
      <button type="submit" class="primary" data-action="confirm-password" disabled={action.busy || password === ''}>Set password</button>
      {action.error && <p class="error" role="alert" data-error="password">{action.error}</p>}
    </form>
  )
}

/** Reset state (admin, Nova `os-resetState`): ACTIVE or ERROR, the task cleared. */
export function ResetStateForm({ api, server, onDone }: FormProps) {
  const [state, setState] = useState<'active' | 'error'>('active')
  const { action, submit } = useSubmit(async () => {
    await api.action(server.id, { 'os-resetState': { state } })
    return `State reset to ${state}.`
  }, onDone)
  return (
    <form class="inset" onSubmit={submit} data-form="reset-state">
      <h3>Reset the state of {server.name}</h3>
      <p class="hint">Only the recorded state changes; nothing is done to the guest.</p>
      <label>State
        <select name="reset-state" value={state} onChange={(e) => setState(e.currentTarget.value === 'error' ? 'error' : 'active')}>
          <option value="active">active</option>
          <option value="error">error</option>
        </select>
      </label>
      <button type="submit" class="primary" data-action="confirm-reset-state" disabled={action.busy}>Reset state</button>
      {action.error && <p class="error" role="alert" data-error="reset-state">{action.error}</p>}
    </form>
  )
}
