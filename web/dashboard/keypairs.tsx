import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { Keypair } from './types.js'

/** The user's key pairs: list, import a public key, or create one (its private key is shown once). */
export function KeypairsView({ api }: { api: Api }) {
  const keypairs = usePoll(() => api.request<{ keypairs: Array<{ keypair: Keypair }> }>('compute', '/os-keypairs').then((b) => b.keypairs.map((k) => k.keypair)), 0)
  const [name, setName] = useState('')
  const [publicKey, setPublicKey] = useState('')
  const [privateKey, setPrivateKey] = useState<string | null>(null)
  const action = useAction()
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => {
      const keypair: Record<string, string> = { name }
      if (publicKey.trim()) keypair.public_key = publicKey.trim()
      const body = await api.request<{ keypair: Keypair }>('compute', '/os-keypairs', { body: { keypair } })
      setPrivateKey(body.keypair.private_key ?? null)
      setName('')
      setPublicKey('')
      keypairs.reload()
    })
  }
  const remove = (keyName: string) => void action.run(async () => {
    await api.request('compute', `/os-keypairs/${encodeURIComponent(keyName)}`, { method: 'DELETE' })
    keypairs.reload()
  })
  return (
    <section class="card">
      <h2>Key pairs</h2>
      <form class="create" onSubmit={submit}>
        <label>Name <input name="keypair-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required /></label>
        <label>Public key (empty: generate a new pair)
          <textarea name="public-key" rows={3} value={publicKey} onInput={(e) => setPublicKey(e.currentTarget.value)} placeholder="ssh-ed25519 AAAA…" />
        </label>
        <button type="submit" disabled={action.busy}>{publicKey.trim() ? 'Import' : 'Create'}</button>
      </form>
      {action.error && <p class="error" role="alert">{action.error}</p>}
      {privateKey && (
        <div class="notice">
          <p>The private key of the new pair. It is shown only now: keep it.</p>
          <textarea readOnly rows={8} value={privateKey} data-private-key />
          <button class="link" onClick={() => setPrivateKey(null)}>I saved it</button>
        </div>
      )}
      {!keypairs.data ? <p>{keypairs.error ?? 'Loading…'}</p> : (
        <table class="list">
          <thead><tr><th>Name</th><th>Fingerprint</th><th /></tr></thead>
          <tbody>
            {keypairs.data.map((k) => (
              <tr key={k.name} data-keypair={k.name}>
                <td>{k.name}</td><td class="mono">{k.fingerprint}</td>
                <td><button class="danger" onClick={() => remove(k.name)}>Delete</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
