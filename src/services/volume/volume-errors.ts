import { Conflict, InvalidRequest, NotFound } from '../errors.js'

// Cinder's exception texts (cinder/exception.py), word for word: clients match on them.

/** 404 `VolumeNotFound`. */
export function volumeNotFound(id: string): NotFound {
  return new NotFound(`Volume ${id} could not be found.`, 'LB_VOLUME_NOT_FOUND')
}

/** 404 `SnapshotNotFound`. */
export function snapshotNotFound(id: string): NotFound {
  return new NotFound(`Snapshot ${id} could not be found.`, 'LB_SNAPSHOT_NOT_FOUND')
}

/** 404 `VolumeAttachmentNotFound`. */
export function attachmentNotFound(id: string): NotFound {
  return new NotFound(`Volume attachment could not be found with filter: attachment_id = ${id}.`, 'LB_ATTACHMENT_NOT_FOUND')
}

/** 400 `InvalidVolume`: the volume's state forbids the request (Cinder answers 400, not 409). */
export class InvalidVolume extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`, 'LB_INVALID_VOLUME')
  }
}

/** 400 `InvalidSnapshot`. */
export class InvalidSnapshot extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid snapshot: ${reason}`, 'LB_INVALID_SNAPSHOT')
  }
}

/** 400 `InvalidInput`. */
export class InvalidInput extends InvalidRequest {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`, 'LB_INVALID_INPUT')
  }
}

/** 400 `ImageUnacceptable`. */
export class ImageUnacceptable extends InvalidRequest {
  constructor(imageId: string, reason: string) {
    super(`Image ${imageId} is unacceptable: ${reason}`, 'LB_IMAGE_UNACCEPTABLE')
  }
}

/** 409 `ResourceConflict`. */
export class ResourceConflict extends Conflict {
  constructor(reason: string) {
    super(`Resource conflict: ${reason}`, 'LB_VOLUME_RESOURCE_CONFLICT')
  }
}

/** Cinder's `utils.build_or_str`: `a or b or c`. */
export function orList(values: readonly string[]): string {
  return values.join(' or ')
}
