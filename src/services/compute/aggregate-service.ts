import { randomUUID } from 'node:crypto'
import type { Store } from '../store.js'
import type { Db } from '../../db/schema.js'
import type { AuthContext } from '../identity/auth-context.js'
import { authorize } from '../policy.js'
import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { nowIso } from '../time.js'
import { AZ_KEY, aggregateZone, aggregatesOfHost, loadAggregates, type AggregateRecord } from './aggregate-store.js'

/** Placement's provider aggregates, which Nova mirrors a host's aggregates into (the provider of a host is its service id). */
export interface AggregateMirror {
  getAggregates(providerUuid: string): Promise<{ aggregates: string[] }>
  setAggregates(providerUuid: string, aggregates: string[]): Promise<unknown>
}

/** What the aggregate service is given. */
export interface AggregateDeps extends Store {
  readonly placement: AggregateMirror
}

type Action = 'add' | 'update' | 'update_meta' | 'delete'

/** nova/exception.py InvalidAggregateAction{Add,Update,UpdateMeta,Delete}. */
function invalidAction(action: Action, id: number, reason: string): string {
  const what = { add: 'Cannot add host to aggregate', update: 'Cannot update aggregate', update_meta: 'Cannot update metadata of aggregate', delete: 'Cannot remove host from aggregate' }[action]
  return `${what} ${id}. Reason: ${reason}.`
}

/** Python's repr of a list of strings, as Nova prints the conflicting zones. */
function pyList(values: string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`
}

const POLICY = (verb: string) => `os_compute_api:os-aggregates:${verb}`

/**
 * Nova's host aggregates (`os-aggregates`, admin only; nova/compute/api.py
 * AggregateAPI): an aggregate's `availability_zone` metadata makes its hosts
 * a zone, and each host's resource provider is a member of the aggregate's
 * uuid in placement, so the scheduler can ask placement for a zone's hosts.
 */
export class AggregateService {
  readonly #deps: AggregateDeps

  constructor(deps: AggregateDeps) {
    this.#deps = deps
  }

  /** Every aggregate, by id. */
  async list(auth: AuthContext): Promise<AggregateRecord[]> {
    authorize(auth, POLICY('index'), 'admin')
    return loadAggregates(this.#deps.db)
  }

  /** One aggregate; 404 "Aggregate <id> could not be found.". */
  async show(auth: AuthContext, id: number): Promise<AggregateRecord> {
    authorize(auth, POLICY('show'), 'admin')
    return this.#get(this.#deps.db, id)
  }

  /** A new aggregate, a zone when `zone` is given; 409 when the name is taken. */
  async create(auth: AuthContext, name: string, zone: string | null): Promise<AggregateRecord> {
    authorize(auth, POLICY('create'), 'admin')
    for (let attempt = 0; ; attempt++) {
      try {
        const id = await this.#deps.db.transaction().execute(async (trx) => {
          if (await trx.selectFrom('aggregates').select('id').where('name', '=', name).executeTakeFirst()) throw nameExists(name)
          const last = await trx.selectFrom('aggregates').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
          const next = Number(last?.id ?? 0) + 1
          await trx.insertInto('aggregates').values({ id: next, uuid: randomUUID(), name, created_at: nowIso(), updated_at: null }).execute()
          if (zone) await trx.insertInto('aggregate_metadata').values({ aggregate_id: next, key: AZ_KEY, value: zone }).execute()
          return next
        })
        return await this.#get(this.#deps.db, id)
      } catch (error) {
        // A concurrent create took the id or the name: the next try sees it.
        if (error instanceof Conflict || attempt >= 3) throw error
      }
    }
  }

  /** Renames and/or rezones (Nova's update_aggregate); nothing changes on a refusal. */
  async update(auth: AuthContext, id: number, values: { name?: string; availabilityZone?: string | null }): Promise<AggregateRecord> {
    authorize(auth, POLICY('update'), 'admin')
    await this.#deps.db.transaction().execute(async (trx) => {
      const aggregate = await this.#get(trx, id)
      if (values.name !== undefined && values.name !== aggregate.row.name) {
        if (await trx.selectFrom('aggregates').select('id').where('name', '=', values.name).executeTakeFirst()) throw nameExists(values.name)
        await trx.updateTable('aggregates').set({ name: values.name }).where('id', '=', id).execute()
      }
      if (values.availabilityZone !== undefined) {
        await this.#checkZoneChange(trx, { [AZ_KEY]: values.availabilityZone }, aggregate, aggregate.hosts, 'update', true)
        await writeMetadata(trx, id, { [AZ_KEY]: values.availabilityZone })
      }
      await trx.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', id).execute()
    })
    return this.#get(this.#deps.db, id)
  }

  /** Replaces the given metadata keys (null removes one). */
  async setMetadata(auth: AuthContext, id: number, metadata: Record<string, string | null>): Promise<AggregateRecord> {
    authorize(auth, POLICY('set_metadata'), 'admin')
    await this.#deps.db.transaction().execute(async (trx) => {
      const aggregate = await this.#get(trx, id)
      await this.#checkZoneChange(trx, metadata, aggregate, aggregate.hosts, 'update_meta', true)
      await writeMetadata(trx, id, metadata)
      await trx.updateTable('aggregates').set({ updated_at: nowIso() }).where('id', '=', id).execute()
    })
    return this.#get(this.#deps.db, id)
  }

  /** Deletes an empty aggregate (400 while it has hosts). */
  async delete(auth: AuthContext, id: number): Promise<void> {
    authorize(auth, POLICY('delete'), 'admin')
    await this.#deps.db.transaction().execute(async (trx) => {
      const aggregate = await this.#get(trx, id)
      if (aggregate.hosts.length > 0) throw new InvalidRequest(invalidAction('delete', id, 'Host aggregate is not empty'))
      await trx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute()
      await trx.deleteFrom('aggregates').where('id', '=', id).execute()
    })
  }

  /** Adds a compute host, and its resource provider to the aggregate in placement. */
  async addHost(auth: AuthContext, id: number, host: string): Promise<AggregateRecord> {
    authorize(auth, POLICY('add_host'), 'admin')
    const service = await this.#service(host)
    if (!service) throw new NotFound(`Compute host ${host} could not be found.`)
    const aggregate = await this.#deps.db.transaction().execute(async (trx) => {
      const aggregate = await this.#get(trx, id)
      await this.#checkZoneChange(trx, aggregate.metadata, aggregate, [host], 'add', false)
      await this.#checkHostKeepsZone(trx, aggregate, host, 'add')
      if (aggregate.hosts.includes(host)) throw new Conflict(`Aggregate ${id} already has host ${host}.`)
      await trx.insertInto('aggregate_hosts').values({ aggregate_id: id, host, created_at: nowIso() }).execute()
      return aggregate
    })
    await this.#mirror(service.id, (current) => [...new Set([...current, aggregate.row.uuid])])
    return this.#get(this.#deps.db, id)
  }

  /** Removes a compute host (404 "Cannot remove host … in aggregate …" when it is not in it). */
  async removeHost(auth: AuthContext, id: number, host: string): Promise<AggregateRecord> {
    authorize(auth, POLICY('remove_host'), 'admin')
    const cannot = () => new NotFound(`Cannot remove host ${host} in aggregate ${id}`)
    const service = await this.#service(host)
    if (!service) throw cannot()
    const aggregate = await this.#get(this.#deps.db, id).catch(() => { throw cannot() })
    await this.#checkHostKeepsZone(this.#deps.db, aggregate, host, 'delete')
    if (!aggregate.hosts.includes(host)) throw cannot()
    // Placement first, as Nova: a failure there leaves the host in the aggregate, to try again.
    await this.#mirror(service.id, (current) => current.filter((a) => a !== aggregate.row.uuid))
    await this.#deps.db.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).where('host', '=', host).execute()
    return this.#get(this.#deps.db, id)
  }

  async #get(db: Db, id: number): Promise<AggregateRecord> {
    const found = (await loadAggregates(db, [id]))[0]
    if (!found) throw new NotFound(`Aggregate ${id} could not be found.`)
    return found
  }

  async #service(host: string): Promise<{ id: string } | undefined> {
    return this.#deps.db.selectFrom('compute_services').select('id').where('host', '=', host).where('binary', '=', 'nova-compute').executeTakeFirst()
  }

  /** Changes the host's provider aggregates in placement; a failure is logged, not the caller's (Nova's sync_aggregates mends it). */
  async #mirror(providerUuid: string, change: (current: string[]) => string[]): Promise<void> {
    try {
      const current = await this.#deps.placement.getAggregates(providerUuid)
      await this.#deps.placement.setAggregates(providerUuid, change(current.aggregates))
    } catch (error) {
      this.#deps.log.warn({ err: error, provider: providerUuid }, 'could not mirror a host aggregate into placement')
    }
  }

  /** Nova's is_safe_to_update_az: no empty zone, no host in two zones, no zone change under instances. */
  async #checkZoneChange(db: Db, metadata: Record<string, string | null>, aggregate: AggregateRecord, hosts: string[], action: Action, checkInstances: boolean): Promise<void> {
    if (!(AZ_KEY in metadata)) return
    const wanted = metadata[AZ_KEY]
    const id = aggregate.row.id
    if (!wanted) throw zoneRefusal(action, id, `Aggregate ${aggregate.row.name} does not support empty named availability zone`)
    const others = hosts.length === 0 ? [] : await db.selectFrom('aggregate_hosts').innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
      .select(['aggregate_hosts.aggregate_id', 'aggregate_metadata.value']).distinct().where('aggregate_metadata.key', '=', AZ_KEY).where('aggregate_hosts.host', 'in', hosts).execute()
    const conflicting = others.filter((o) => o.value !== wanted && o.aggregate_id !== id).map((o) => o.value)
    if (conflicting.length > 0) throw zoneRefusal(action, id, `One or more hosts already in availability zone(s) ${pyList(conflicting)}`)
    if (checkInstances && aggregateZone(aggregate) !== wanted && hosts.length > 0) {
      const count = await db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted', '=', 0).where('host', 'in', hosts).executeTakeFirst()
      if (Number(count?.n ?? 0) > 0) throw zoneRefusal(action, id, 'One or more hosts contain instances in this zone')
    }
  }

  /** Nova's ensure_no_instances_need_to_move_az_when_host_{added,removed}. */
  async #checkHostKeepsZone(db: Db, aggregate: AggregateRecord, host: string, action: 'add' | 'delete'): Promise<void> {
    const zone = aggregateZone(aggregate)
    if (!zone) return
    const count = Number((await db.selectFrom('instances').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted', '=', 0).where('host', '=', host).executeTakeFirst())?.n ?? 0)
    if (count === 0) return
    const zones = new Set((await aggregatesOfHost(db, host)).filter((a) => a.row.id !== aggregate.row.id || action === 'add').map(aggregateZone).filter((z): z is string => z !== null))
    const before = action === 'add' ? [...zones][0] ?? null : zone
    const after = action === 'add' ? zone : [...zones][0] ?? null
    if (before === after) return
    const verb = action === 'add' ? 'added to' : 'removed from'
    throw new Conflict(invalidAction(action, aggregate.row.id, `The host cannot be ${verb} the aggregate as the availability zone of the host would change from '${before ?? 'None'}' to '${after ?? 'None'}' but the host already has ${count} instance(s). Changing the AZ of an existing instance is not supported by this action. Move the instances away from this host then try again. If you need to move the instances between AZs then you can use shelve_offload and unshelve to achieve this.`))
  }
}

function nameExists(name: string): Conflict {
  return new Conflict(`Aggregate ${name} already exists.`)
}

/** add_host answers a zone refusal with 409, update and set_metadata with 400 (nova/api/openstack/compute/aggregates.py). */
function zoneRefusal(action: Action, id: number, reason: string): Error {
  return action === 'add' ? new Conflict(invalidAction(action, id, reason)) : new InvalidRequest(invalidAction(action, id, reason))
}

async function writeMetadata(db: Db, id: number, metadata: Record<string, string | null>): Promise<void> {
  for (const [key, value] of Object.entries(metadata)) {
    await db.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute()
    if (value !== null) await db.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute()
  }
}
