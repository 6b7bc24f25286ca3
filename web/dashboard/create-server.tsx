import { useState } from 'preact/hooks'
import type { Api } from './api.js'
import { useAction, usePoll } from './hooks.js'
import type { Flavor, Image, Keypair, Network } from './types.js'

/** What the create form offers: images, flavors, networks and key pairs of the project. */
interface Choices { images: Image[]; flavors: Flavor[]; networks: Network[]; keypairs: Keypair[] }

async function loadChoices(api: Api): Promise<Choices> {
  const [images, flavors, networks, keypairs] = await Promise.all([
    api.request<{ images: Image[] }>('image', '/v2/images?status=active').then((b) => b.images),
    api.request<{ flavors: Flavor[] }>('compute', '/flavors/detail').then((b) => b.flavors),
    api.request<{ networks: Network[] }>('network', '/v2.0/networks').then((b) => b.networks.filter((n) => !n['router:external'])),
    api.request<{ keypairs: Array<{ keypair: Keypair }> }>('compute', '/os-keypairs').then((b) => b.keypairs.map((k) => k.keypair)),
  ])
  return { images, flavors, networks, keypairs }
}

/** Boots a server: name, image, flavor, network, key pair, and optionally a root volume made from the image. */
export function CreateServerForm({ api, onCreated }: { api: Api; onCreated: (id: string) => void }) {
  const choices = usePoll(() => loadChoices(api), 0)
  const [name, setName] = useState('')
  const [image, setImage] = useState('')
  const [flavor, setFlavor] = useState('')
  const [network, setNetwork] = useState('')
  const [keyName, setKeyName] = useState('')
  const [volumeGb, setVolumeGb] = useState(0)
  const action = useAction()
  const c = choices.data
  if (!c) return <p>{choices.error ?? 'Loading choices…'}</p>
  const imageId = image || c.images[0]?.id || ''
  const flavorId = flavor || c.flavors[0]?.id || ''
  const networkId = network || c.networks[0]?.id || 'auto'
  const submit = (event: Event) => {
    event.preventDefault()
    void action.run(async () => {
      const server: Record<string, unknown> = { name, flavorRef: flavorId, networks: networkId === 'auto' ? 'auto' : [{ uuid: networkId }] }
      if (keyName) server.key_name = keyName
      if (volumeGb > 0) {
        server.imageRef = ''
        server.block_device_mapping_v2 = [{ boot_index: 0, uuid: imageId, source_type: 'image', destination_type: 'volume', volume_size: volumeGb, delete_on_termination: true }]
      } else {
        server.imageRef = imageId
      }
      const body = await api.request<{ server: { id: string } }>('compute', '/servers', { body: { server } })
      onCreated(body.server.id)
    })
  }
  return (
    <form class="create" onSubmit={submit}>
      <label>Name <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required /></label>
      <label>Image
        <select name="image" value={imageId} onChange={(e) => setImage(e.currentTarget.value)}>
          {c.images.map((i) => <option key={i.id} value={i.id}>{i.name ?? i.id}</option>)}
        </select>
      </label>
      <label>Flavor
        <select name="flavor" value={flavorId} onChange={(e) => setFlavor(e.currentTarget.value)}>
          {c.flavors.map((f) => <option key={f.id} value={f.id}>{`${f.name} (${f.vcpus} vCPU, ${f.ram} MiB, ${f.disk} GB)`}</option>)}
        </select>
      </label>
      <label>Network
        <select name="network" value={networkId} onChange={(e) => setNetwork(e.currentTarget.value)}>
          {c.networks.map((n) => <option key={n.id} value={n.id}>{n.name}</option>)}
          <option value="auto">automatic</option>
        </select>
      </label>
      <label>Key pair
        <select name="key" value={keyName} onChange={(e) => setKeyName(e.currentTarget.value)}>
          <option value="">none</option>
          {c.keypairs.map((k) => <option key={k.name} value={k.name}>{k.name}</option>)}
        </select>
      </label>
      <label>Boot from a new volume (GB, 0 = local disk)
        <input name="volume-size" type="number" min="0" max="1000" value={volumeGb} onInput={(e) => setVolumeGb(Number(e.currentTarget.value) || 0)} />
      </label>
      <button type="submit" disabled={action.busy}>Create</button>
      {action.error && <p class="error" role="alert">{action.error}</p>}
    </form>
  )
}
