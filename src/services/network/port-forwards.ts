import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/schema.js'
import type { PortForward } from '../../agent-api/values.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import { forwardsFor, type ForwardRule } from './forwards.js'

type Db = Kysely<Database> | Transaction<Database>

/**
 * The forwards of ports as the data plane realises them (`NicSpec.forwards`):
 * each port's floating IPs and the rules of its security groups, through the
 * pure {@link forwardsFor}.
 */
export async function forwardsOfPorts(db: Db, portIds: string[], offset: number): Promise<Map<string, PortForward[]>> {
  const out = new Map<string, PortForward[]>()
  if (!portIds.length) return out
  const fips = await db.selectFrom('floating_ips').select(['fixed_port_id', 'floating_ip_address']).where('fixed_port_id', 'in', portIds)
    .orderBy('floating_ip_address').execute()
  const withFips = [...new Set(fips.map((f) => f.fixed_port_id!))]
  if (!withFips.length) return out
  const ports = await db.selectFrom('ports').select(['id', 'port_security_enabled']).where('id', 'in', withFips).execute()
  const rules = await db.selectFrom('port_security_groups').innerJoin('security_group_rules', 'security_group_rules.group_id', 'port_security_groups.security_group_id')
    .select(['port_security_groups.port_id', 'security_group_rules.direction', 'security_group_rules.ethertype', 'security_group_rules.ip_protocol',
      'security_group_rules.from_port', 'security_group_rules.to_port', 'security_group_rules.cidr', 'security_group_rules.source_group_id'])
    .where('port_security_groups.port_id', 'in', withFips).execute()
  for (const port of ports) {
    const portRules: ForwardRule[] = rules.filter((r) => r.port_id === port.id).map((r) => ({
      direction: r.direction, ethertype: r.ethertype, protocol: r.ip_protocol, portRangeMin: r.from_port === null ? null : Number(r.from_port),
      portRangeMax: r.to_port === null ? null : Number(r.to_port), remoteIpPrefix: r.cidr, remoteGroupId: r.source_group_id,
    }))
    const addresses = fips.filter((f) => f.fixed_port_id === port.id).map((f) => f.floating_ip_address)
    out.set(port.id, forwardsFor(addresses, portRules, Number(port.port_security_enabled) === 1, offset))
  }
  return out
}

/** The queue calls a network change needs. */
export type NetworkChangeQueue = Pick<TaskQueue, 'enqueue' | 'notify'>

/**
 * Queues `network_changed` for every running server (ACTIVE or RESCUED, on a
 * host) that owns one of `portIds` or is one of `instanceUuids`, inside `trx`;
 * returns the hosts to wake after commit.
 */
export async function queueNetworkChanged(trx: Db, tasks: NetworkChangeQueue, target: { portIds?: string[]; instanceUuids?: string[] }): Promise<string[]> {
  const uuids = new Set(target.instanceUuids ?? [])
  if (target.portIds?.length) {
    const owners = await trx.selectFrom('ports').select('device_id').where('id', 'in', target.portIds).where('device_owner', 'like', 'compute:%').execute()
    for (const o of owners) if (o.device_id) uuids.add(o.device_id)
  }
  if (!uuids.size) return []
  const running = await trx.selectFrom('instances').select(['uuid', 'host']).where('uuid', 'in', [...uuids]).where('deleted', '=', 0)
    .where('vm_state', 'in', ['active', 'rescued']).where('host', 'is not', null).execute()
  for (const row of running) await tasks.enqueue(trx, { instanceUuid: row.uuid, host: row.host, actionId: null, task: { kind: 'network_changed' } })
  return [...new Set(running.map((r) => r.host!))]
}

/** The ports with floating IPs in one of the groups: those whose forwards a rule change of the groups changes. */
export async function forwardingPortsInGroups(db: Db, groupIds: string[]): Promise<string[]> {
  if (!groupIds.length) return []
  const rows = await db.selectFrom('port_security_groups').innerJoin('floating_ips', 'floating_ips.fixed_port_id', 'port_security_groups.port_id')
    .select('port_security_groups.port_id').distinct().where('port_security_groups.security_group_id', 'in', groupIds).execute()
  return rows.map((r) => r.port_id)
}

/**
 * Runs `change` in one transaction with the `network_changed` tasks of the
 * running servers whose forwards it changes (the ports or servers it names),
 * then wakes their hosts; returns what `change` returned.
 */
export async function withForwardsRefresh<T>(db: Kysely<Database>, tasks: NetworkChangeQueue,
  change: (trx: Transaction<Database>) => Promise<{ value: T; portIds?: string[]; instanceUuids?: string[] }>): Promise<T> {
  const { value, hosts } = await db.transaction().execute(async (trx) => {
    const result = await change(trx)
    return { value: result.value, hosts: await queueNetworkChanged(trx, tasks, result) }
  })
  for (const host of hosts) tasks.notify(host)
  return value
}
