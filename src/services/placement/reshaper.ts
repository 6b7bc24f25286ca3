import type { Db } from '../../db/schema.js'
import type { InventoryFields } from './db-types.js'
import { writeAllocationsIn, type ConsumerAllocations } from './allocations.js'
import { assertInventoryCapacity, replaceInventoriesIn } from './inventories.js'
import { InvalidRequest } from '../errors.js'
import { ConcurrentUpdate } from './placement-errors.js'

/** `POST /reshaper` (1.30): every provider's inventories and every consumer's allocations at once. */
export interface ReshapeRequest {
  inventories: Record<string, { generation: number; inventories: Record<string, InventoryFields> }>
  allocations: ConsumerAllocations[]
}

/**
 * Moves inventories and allocations atomically: the consumers' old
 * allocations go first, then inventories are replaced (generation
 * compare-and-set), then the new allocations are checked and written.
 */
export async function reshape(db: Db, request: ReshapeRequest): Promise<void> {
  for (const [uuid, entry] of Object.entries(request.inventories)) {
    for (const [rc, inv] of Object.entries(entry.inventories)) assertInventoryCapacity(uuid, rc, inv, true, `Unable to update inventory for resource provider ${uuid}: `)
  }
  await db.transaction().execute(async (trx) => {
    for (const [uuid, entry] of Object.entries(request.inventories)) {
      const row = await trx.selectFrom('placement_resource_providers').select('generation').where('uuid', '=', uuid).executeTakeFirst()
      if (row === undefined) {
        throw new InvalidRequest(`Resource provider '${uuid}' in inventories not found`)
      }
      if (row.generation !== entry.generation) {
        throw new ConcurrentUpdate(`resource provider generation conflict for provider ${uuid}: actual: ${row.generation}, given: ${entry.generation}`)
      }
    }
    await writeAllocationsIn(trx, request.allocations, {
      unknownClassPrefix: () => 'Unable to allocate inventory ',
      beforeInsert: async (inner) => {
        for (const [uuid, entry] of Object.entries(request.inventories)) {
          // Locking the allocations bumped the generation once already; compare against the current one.
          const row = await inner.selectFrom('placement_resource_providers').select('generation').where('uuid', '=', uuid).executeTakeFirstOrThrow()
          await replaceInventoriesIn(inner, uuid, entry.inventories, row.generation)
        }
      },
    })
  })
}
