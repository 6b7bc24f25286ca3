import { NotFound } from '../errors.js'
import { isUuidLike } from '../../util/uuid.js'
import { ServiceErrorCode } from '../error-codes.js'

/** A volume type as the API shows it. Lifeboat has one: Cinder's `__DEFAULT__`. */
export interface VolumeTypeRecord {
  id: string
  name: string
  description: string
  isPublic: boolean
  extraSpecs: Record<string, string>
}

/** Cinder's default type (created by its migrations with this name and description). */
export const DEFAULT_VOLUME_TYPE: VolumeTypeRecord = {
  id: 'b0b1f9f4-8d0c-4a5e-9e51-6b7c1a0d5f00',
  name: '__DEFAULT__',
  description: 'Default Volume Type',
  isPublic: true,
  extraSpecs: {},
}

/** Cinder's `get_by_name_or_id`: the type, or its NotFound wording (by id for uuid-like input, else by name). */
export function findVolumeType(nameOrId: string): VolumeTypeRecord {
  if (nameOrId === DEFAULT_VOLUME_TYPE.id || nameOrId === DEFAULT_VOLUME_TYPE.name) return DEFAULT_VOLUME_TYPE
  if (isUuidLike(nameOrId)) throw new NotFound(`Volume type ${nameOrId} could not be found.`, ServiceErrorCode.VOLUME_TYPE_NOT_FOUND)
  throw new NotFound(`Volume type with name ${nameOrId} could not be found.`, ServiceErrorCode.VOLUME_TYPE_NOT_FOUND)
}

/** Throws the NotFound of `findVolumeType` unless the type exists. */
export function assertVolumeType(nameOrId: string): void {
  findVolumeType(nameOrId)
}
