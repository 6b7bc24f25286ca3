import type { Db } from '../../db/schema.js'
import type { AllocationMoves } from './ports.js'
import type { InstanceRow } from './instance-store.js'
import { nowIso } from '../time.js'

type Allocations = Record<string, Record<string, number>>

function ownerOf(instance: InstanceRow): { projectId: string; userId: string } {
  return { projectId: instance.project_id, userId: instance.user_id }
}

/**
 * Nova's move allocations for a resize or a migration: the migration's uuid
 * holds what the instance holds now (`held`), the instance claims `resources`
 * on `provider`. All or nothing; false when the claim does not fit.
 */
export function claimMoveAllocations(trx: Db, placement: AllocationMoves, instance: InstanceRow, migrationUuid: string,
  held: Allocations, provider: string, resources: Record<string, number>): Promise<boolean> {
  const owner = ownerOf(instance)
  return placement.replaceAllocationsIn(trx, [
    { consumerUuid: migrationUuid, allocations: held, ...owner },
    { consumerUuid: instance.uuid, allocations: { [provider]: resources }, ...owner },
  ])
}

/**
 * The move ends where it started (revert, failure, abort): the migration's
 * held allocation goes back to the instance. Freeing the new claim can only
 * make room, so the old allocation always fits back.
 */
export async function moveAllocationsBack(trx: Db, placement: AllocationMoves, instance: InstanceRow, migrationUuid: string): Promise<void> {
  const held = await placement.allocationsIn(trx, migrationUuid)
  if (Object.keys(held).length === 0) return
  const owner = ownerOf(instance)
  await placement.replaceAllocationsIn(trx, [{ consumerUuid: instance.uuid, allocations: held, ...owner }, { consumerUuid: migrationUuid, allocations: {}, ...owner }])
}

/** The move is done (confirm, or a live migration's switch): the migration's held allocation is freed. */
export async function dropMoveAllocation(trx: Db, placement: AllocationMoves, instance: InstanceRow, migrationUuid: string): Promise<void> {
  await placement.replaceAllocationsIn(trx, [{ consumerUuid: migrationUuid, allocations: {}, ...ownerOf(instance) }])
}

/** A migration row's status, by its uuid. */
export async function setMigrationStatus(trx: Db, uuid: string, status: string): Promise<void> {
  await trx.updateTable('migrations').set({ status, updated_at: nowIso() }).where('uuid', '=', uuid).execute()
}
