import type { MigratingRescue } from '../../agent-api/index.js'
import type { Db } from '../../db/schema.js'
import type { BlockDeviceMappingsTable, InstanceFaultsTable, InstancesTable } from '../../db/tables/compute-tables.js'
import type { AuthContext } from '../identity/auth-context.js'
import { InstanceNotFound } from './compute-errors.js'
import { groupIdsOfServers } from '../network/security-group-model.js'
import type { ServerAddresses } from '../network/server-ports.js'

/** The flavor as it was when the server was built (Nova keeps a copy on the instance). */
export interface FlavorSnapshot {
  id: string
  name: string
  vcpus: number
  ram: number
  disk: number
  ephemeral: number
  swap: number
  extraSpecs: Record<string, string>
}

/** The rescue in progress, kept on the instance while it is rescued. */
export interface RescueRecord {
  previousVmState: string
  imageId: string | null
  mode: 'stable' | 'legacy' | null
  startedAt: string
  /** Seconds after which this server unrescues on its own (`lifeboat:timeout` or `rescue_timeout`); null = never. */
  timeoutSeconds: number | null
  rootSnapshot: boolean
  keyName: string | null
  /** The rescue disk's device type and bus as decided (absent in records of older versions); a moved rescue keeps them. */
  device?: MigratingRescue['device']
  bus?: MigratingRescue['bus']
}

export type InstanceRow = InstancesTable
export type BdmRow = BlockDeviceMappingsTable
export type FaultRow = InstanceFaultsTable

/** An instance with what its views and rules need. */
export interface InstanceDetails {
  row: InstanceRow
  flavor: FlavorSnapshot
  metadata: Record<string, string>
  tags: string[]
  bdms: BdmRow[]
  fault: FaultRow | null
  securityGroups: string[]
  rescue: RescueRecord | null
  /** The server's live addresses by network name, when the caller loaded them (`ComputeService` for the views). */
  addresses?: ServerAddresses
}

/** True when the root disk is a volume (Nova's `is_volume_backed_instance`). */
export function isVolumeBacked(bdms: BdmRow[]): boolean {
  const root = bdms.find((b) => b.boot_index === 0)
  return root !== undefined && root.destination_type === 'volume'
}

/** An instance row in the caller's scope (admins see every project); InstanceNotFound otherwise. */
export async function getInstanceRow(db: Db, auth: AuthContext, id: string): Promise<InstanceRow> {
  let query = db.selectFrom('instances').selectAll().where('uuid', '=', id).where('deleted', '=', 0)
  if (!auth.isAdmin) query = query.where('project_id', '=', auth.projectId ?? '')
  const row = await query.executeTakeFirst()
  if (!row) throw new InstanceNotFound(id)
  return row
}

/** Related rows a caller may do without; left out, they come back empty. */
export interface DetailParts {
  metadata?: boolean
  tags?: boolean
  securityGroups?: boolean
}

const ALL_PARTS: DetailParts = { metadata: true, tags: true, securityGroups: true }

/** Loads the related rows of many instances in a few queries (all of them unless `parts` says otherwise). */
export async function loadInstanceDetails(db: Db, rows: InstanceRow[], parts: DetailParts = ALL_PARTS): Promise<InstanceDetails[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.uuid)
  const chunks: string[][] = []
  for (let i = 0; i < ids.length; i += 500) chunks.push(ids.slice(i, i + 500))
  const metadata = new Map<string, Record<string, string>>()
  const tags = new Map<string, string[]>()
  const bdms = new Map<string, BdmRow[]>()
  const faults = new Map<string, FaultRow>()
  const groups = new Map<string, string[]>()
  for (const chunk of chunks) {
    const metadataRows = parts.metadata ? await db.selectFrom('instance_metadata').select(['instance_uuid', 'key', 'value']).where('instance_uuid', 'in', chunk).execute() : []
    for (const m of metadataRows) {
      const bucket = metadata.get(m.instance_uuid) ?? {}
      bucket[m.key] = m.value
      metadata.set(m.instance_uuid, bucket)
    }
    const tagRows = parts.tags ? await db.selectFrom('instance_tags').select(['instance_uuid', 'tag']).where('instance_uuid', 'in', chunk).orderBy('tag').execute() : []
    for (const t of tagRows) {
      const bucket = tags.get(t.instance_uuid)
      if (bucket) bucket.push(t.tag)
      else tags.set(t.instance_uuid, [t.tag])
    }
    for (const b of await db.selectFrom('block_device_mappings').selectAll().where('instance_uuid', 'in', chunk).orderBy('position').execute()) {
      const bucket = bdms.get(b.instance_uuid)
      if (bucket) bucket.push(b)
      else bdms.set(b.instance_uuid, [b])
    }
    const inChunk = new Set(chunk)
    const errored = rows.filter((r) => (r.vm_state === 'error' || r.deleted === 1) && inChunk.has(r.uuid)).map((r) => r.uuid)
    if (errored.length > 0) {
      for (const f of await db.selectFrom('instance_faults').selectAll().where('instance_uuid', 'in', errored).orderBy('created_at', 'desc').execute()) {
        if (!faults.has(f.instance_uuid)) faults.set(f.instance_uuid, f)
      }
    }
    if (!parts.securityGroups) continue
    // The server's ports' groups (its own association when it has no port), by name as the server view lists them.
    const ids = await groupIdsOfServers(db, chunk)
    const wanted = [...new Set([...ids.values()].flat())]
    const names = new Map((wanted.length ? await db.selectFrom('security_groups').select(['id', 'name']).where('id', 'in', wanted).execute() : []).map((g) => [g.id, g.name]))
    for (const [uuid, groupIds] of ids) {
      groups.set(uuid, groupIds.map((id) => names.get(id)).filter((name): name is string => name !== undefined).sort())
    }
  }
  return rows.map((row) => ({
    row,
    flavor: JSON.parse(row.flavor) as FlavorSnapshot,
    metadata: metadata.get(row.uuid) ?? {},
    tags: tags.get(row.uuid) ?? [],
    bdms: bdms.get(row.uuid) ?? [],
    fault: faults.get(row.uuid) ?? null,
    securityGroups: groups.get(row.uuid) ?? [],
    rescue: row.rescue ? (JSON.parse(row.rescue) as RescueRecord) : null,
  }))
}

/** One instance with its details, in the caller's scope (all of them unless `parts` says otherwise). */
export async function getInstanceDetails(db: Db, auth: AuthContext, id: string, parts: DetailParts = ALL_PARTS): Promise<InstanceDetails> {
  const row = await getInstanceRow(db, auth, id)
  const [details] = await loadInstanceDetails(db, [row], parts)
  return details!
}
