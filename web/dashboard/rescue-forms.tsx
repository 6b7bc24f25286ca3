import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { Image, Keypair, Server } from './types.js'

/** Images that can rescue a volume-backed server (stable device rescue) carry both properties. */
const isStableRescueImage = (image: Image) => Boolean(image.hw_rescue_device && image.hw_rescue_bus)

/**
 * Rescue: the rescue image, a key for the rescue and an auto-exit time, sent
 * at microversion 2.87 (volume-backed servers work). A refusal shows the API's
 * own message (Nova's `badRequest`/`conflictingRequest`).
 */
export function RescueForm({ api, server, onDone }: { api: Api; server: Server; onDone: (notice: string) => void }) {
  const choices = usePoll(async () => {
    const [images, keypairs] = await Promise.all([
      api.request<{ images: Image[] }>('image', '/v2/images?status=active').then((b) => b.images),
      api.request<{ keypairs: Array<{ keypair: Keypair }> }>('compute', '/os-keypairs').then((b) => b.keypairs.map((k) => k.keypair)),
    ])
    return { images, keypairs }
  }, 0)
  const [image, setImage] = useState('')
  const [keyName, setKeyName] = useState('')
  const [minutes, setMinutes] = useState(0)
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => {
      const rescue: Record<string, unknown> = {}
      if (image) rescue.rescue_image_ref = image
      if (keyName) rescue['lifeboat:key_name'] = keyName
      if (minutes > 0) rescue['lifeboat:timeout'] = Math.round(minutes * 60)
      const answer = await api.action<{ adminPass?: string } | null>(server.id, { rescue })
      onDone(answer?.adminPass ? `Rescue started. Rescue password: ${answer.adminPass}` : 'Rescue started.')
    })
  }
  const c = choices.data
  return (
    <form class="rescue inset" onSubmit={submit} data-form="rescue">
      <h3>Rescue {server.name}</h3>
      <p class="hint">The server boots from the rescue image with its own disks attached, so you can repair them.</p>
      {!c ? <p>{choices.error ?? 'Loading…'}</p> : (
        <>
          <label>Rescue image
            <select name="rescue-image" value={image} onChange={(e) => setImage(e.currentTarget.value)}>
              <option value="">default (the server's image, else the operator's)</option>
              {c.images.map((i) => <option key={i.id} value={i.id}>{(i.name ?? i.id) + (isStableRescueImage(i) ? ' — stable rescue, volume-backed OK' : '')}</option>)}
            </select>
          </label>
          <label>Key for the rescue
            <select name="rescue-key" value={keyName} onChange={(e) => setKeyName(e.currentTarget.value)}>
              <option value="">the server's own key</option>
              {c.keypairs.map((k) => <option key={k.name} value={k.name}>{k.name}</option>)}
            </select>
          </label>
          <label>Leave the rescue on its own after (minutes, 0 = never)
            <input name="rescue-timeout" type="number" min="0" max="10080" value={minutes} onInput={(e) => setMinutes(Number(e.currentTarget.value) || 0)} />
          </label>
          <button type="submit" class="primary" data-action="confirm-rescue" disabled={action.busy}>Rescue</button>
        </>
      )}
      {action.error && <p class="error" role="alert" data-error="rescue">{action.error}</p>}
    </form>
  )
}

/** Unrescue: boot the server from its own root again, keeping or discarding what changed during the rescue. */
export function UnrescueForm({ api, server, onDone }: { api: Api; server: Server; onDone: (notice: string) => void }) {
  const [discard, setDiscard] = useState(false)
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => {
      await api.action(server.id, { unrescue: discard ? { 'lifeboat:discard': true } : null })
      onDone(discard ? 'Unrescue started: the changes made during the rescue are discarded.' : 'Unrescue started.')
    })
  }
  return (
    <form class="unrescue inset" onSubmit={submit} data-form="unrescue">
      <h3>Unrescue {server.name}</h3>
      <label class="check"><input name="keep" type="radio" checked={!discard} onChange={() => setDiscard(false)} /> Keep the changes made to the disks during the rescue</label>
      <label class="check"><input name="discard" type="radio" checked={discard} onChange={() => setDiscard(true)} /> Discard them: restore the root disk as it was before the rescue</label>
      <button type="submit" class="primary" data-action="confirm-unrescue" disabled={action.busy}>Unrescue</button>
      {action.error && <p class="error" role="alert">{action.error}</p>}
    </form>
  )
}
