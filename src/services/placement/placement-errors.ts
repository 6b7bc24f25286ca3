import { Conflict } from '../errors.js'
import { errorCatalogue } from '../../util/error-code.js'

/** placement/errors.py: the `code` of Placement's JSON errors (1.23+). */
export const PlacementCode = errorCatalogue({
  DEFAULT: 'placement.undefined_code',
  INVENTORY_INUSE: 'placement.inventory.inuse',
  CONCURRENT_UPDATE: 'placement.concurrent_update',
  DUPLICATE_NAME: 'placement.duplicate_name',
  PROVIDER_IN_USE: 'placement.resource_provider.inuse',
  PROVIDER_CANNOT_DELETE_PARENT: 'placement.resource_provider.cannot_delete_parent',
  RESOURCE_PROVIDER_NOT_FOUND: 'placement.resource_provider.not_found',
  ILLEGAL_DUPLICATE_QUERYPARAM: 'placement.query.duplicate_key',
  QUERYPARAM_BAD_VALUE: 'placement.query.bad_value',
  QUERYPARAM_MISSING_VALUE: 'placement.query.missing_value',
})

/** 409 `placement.concurrent_update`: a generation moved under the caller. */
export class ConcurrentUpdate extends Conflict {
  constructor(message: string) {
    super(message, PlacementCode.CONCURRENT_UPDATE)
  }
}

/**
 * Thrown inside a transaction when an allocation no longer fits; the API
 * turns it into 409, `claimAllocation` into `false`.
 */
export class CapacityExceeded extends Conflict {
  constructor(message: string) {
    super(message)
  }
}

/** True for a unique or primary key violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string })?.code
  const text = String((error as { message?: string })?.message ?? '')
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint/.test(text)
}
