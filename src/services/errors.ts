import type { ErrorCode } from '../util/error-code.js'
import { ServiceErrorCode } from './error-codes.js'

/**
 * Domain errors. Services throw these; each API plugin maps them to its own
 * envelope by `status`. Messages are shown to clients: never put secrets or
 * internals in them.
 */
export class LifeboatError extends Error {
  /** Stable code for logs and tests, like `LB_NOT_FOUND`, from a layer's catalogue. */
  readonly code: ErrorCode
  /** The HTTP status this error means at the API. */
  readonly status: number
  /** Extra response headers (e.g. `Location`, `Retry-After`). */
  readonly headers: Record<string, string>

  constructor(message: string, code: ErrorCode, status: number, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.status = status
    this.headers = options?.headers ?? {}
  }
}

/** 400: the request is wrong and nothing was changed. */
export class InvalidRequest extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.INVALID_REQUEST, options?: { cause?: unknown }) {
    super(message, code, 400, options)
  }
}

/** 401: no valid credentials. */
export class Unauthorized extends LifeboatError {
  constructor(message = 'The request you have made requires authentication.', code: ErrorCode = ServiceErrorCode.UNAUTHORIZED) {
    super(message, code, 401)
  }
}

/** 403: authenticated but not allowed by policy. */
export class Forbidden extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.FORBIDDEN) {
    super(message, code, 403)
  }
}

/** 404: no such thing in the caller's scope. */
export class NotFound extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.NOT_FOUND) {
    super(message, code, 404)
  }
}

/**
 * For `.catch()`: turns a `NotFound` into `replacement()` and lets every
 * other error (a database failure, a 403) through unchanged, so only the
 * error a caller means becomes a 400 or a different 404.
 */
export function onNotFound(replacement: () => Error): (error: unknown) => never {
  return (error) => {
    throw error instanceof NotFound ? replacement() : error
  }
}

/** 405: the path exists but not with this method. */
export class MethodNotAllowed extends LifeboatError {
  constructor(message = 'The method specified is not allowed for this resource.', options?: { headers?: Record<string, string> }) {
    super(message, ServiceErrorCode.METHOD_NOT_ALLOWED, 405, options)
  }
}

/** 406: e.g. a microversion outside the supported range. */
export class NotAcceptable extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.NOT_ACCEPTABLE) {
    super(message, code, 406)
  }
}

/** 409: the thing is in a state that forbids the request. */
export class Conflict extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.CONFLICT) {
    super(message, code, 409)
  }
}

/** 415: a body in a media type this route does not take. */
export class UnsupportedMediaType extends LifeboatError {
  constructor(message: string, code: ErrorCode = ServiceErrorCode.UNSUPPORTED_MEDIA_TYPE) {
    super(message, code, 415)
  }
}
