import { errorCatalogue, type CodeOf } from '../../util/error-code.js'

/**
 * The API layer's catalogue of error codes: what goes wrong before a request
 * reaches a service (its body, URL or microversion). The texts never change:
 * logs and tests match on them, and Placement's handler branches on some.
 */
export const ApiErrorCode = errorCatalogue({
  MALFORMED_JSON: 'LB_MALFORMED_JSON',
  MALFORMED_REQUEST_URL: 'LB_MALFORMED_REQUEST_URL',
  INVALID_MICROVERSION: 'LB_INVALID_MICROVERSION',
  MICROVERSION_OUT_OF_RANGE: 'LB_MICROVERSION_OUT_OF_RANGE',
  VERSION_NOT_FOUND_FOR_METHOD: 'LB_VERSION_NOT_FOUND_FOR_METHOD',
  IMAGE_DATA_MEDIA_TYPE: 'LB_IMAGE_DATA_MEDIA_TYPE',
  /** A JSON body nested too deep or with a string too long (checked before parsing). */
  JSON_LIMIT: 'LB_JSON_LIMIT',
  /** A NUL character in a path parameter or the query string. */
  NUL_CHARACTER: 'LB_NUL_CHARACTER',
})

/** Any code of the API catalogue. */
export type ApiErrorCode = CodeOf<typeof ApiErrorCode>
