import { NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'
import { noImageMessage } from './image-records.js'

/** 404: no image of this id that the caller can see (Glance's text). */
export class ImageNotFound extends NotFound {
  constructor(id: string) {
    super(noImageMessage(id), ServiceErrorCode.IMAGE_NOT_FOUND)
  }
}
