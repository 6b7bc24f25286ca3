import { Conflict, InvalidRequest, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'

// Cinder's exception texts (cinder/exception.py), word for word: clients match on them.

/** 404 `VolumeNotFound`. */
export function volumeNotFound(id: string): NotFound {
  return new NotFound(`Volume ${id} could not be found.`, ServiceErrorCode.VOLUME_NOT_FOUND)
}

/** 404 `SnapshotNotFound`. */
export function snapshotNotFound(id: string): NotFound {
  return new NotFound(`Snapshot ${id} could not be found.`, ServiceErrorCode.SNAPSHOT_NOT_FOUND)
}

/** 404 `VolumeAttachmentNotFound`. */
export function attachmentNotFound(id: string): NotFound {
  return new NotFound(`Volume attachment could not be found with filter: attachment_id = ${id}.`, ServiceErrorCode.ATTACHMENT_NOT_FOUND)
}

/** 400 `InvalidVolume`: the volume's state forbids the request (Cinder answers 400, not 409). */
export class InvalidVolume extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`, ServiceErrorCode.INVALID_VOLUME)
  }
}

/** 400 `InvalidSnapshot`. */
export class InvalidSnapshot extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid snapshot: ${reason}`, ServiceErrorCode.INVALID_SNAPSHOT)
  }
}

/** 400 `InvalidInput`. */
export class InvalidInput extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`, ServiceErrorCode.INVALID_INPUT)
  }
}

/** 400 `ImageUnacceptable`. */
export class ImageUnacceptable extends InvalidRequest {
  constructor(imageId: string, reason: string) {
    super(`Image ${imageId} is unacceptable: ${reason}`, ServiceErrorCode.IMAGE_UNACCEPTABLE)
  }
}

/** 409 `ResourceConflict`. */
export class ResourceConflict extends Conflict {
  constructor(reason: string) {
    super(`Resource conflict: ${reason}`, ServiceErrorCode.VOLUME_RESOURCE_CONFLICT)
  }
}

/** Cinder's `utils.build_or_str`: `a or b or c`. */
export function orList(values: readonly string[]): string {
  return values.join(' or ')
}
