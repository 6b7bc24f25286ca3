/** Builds a service's error body from the status, message and request id. */
export type ErrorEnvelope = (status: number, message: string, requestId: string) => unknown

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
}

/** The reason phrase for a status, as the services print it. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error'
}

// nova/api/openstack/wsgi.py Fault._fault_names; cinder shares it.
const NOVA_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod',
  409: 'conflictingRequest', 413: 'overLimit', 415: 'badMediaType', 429: 'overLimit', 501: 'notImplemented',
  503: 'serviceUnavailable',
}

/** Nova and Cinder: `{"badRequest": {"code": 400, "message": "…"}}`. */
export const novaEnvelope: ErrorEnvelope = (status, message) => ({
  [NOVA_FAULT_NAMES[status] ?? 'computeFault']: { code: status, message },
})

/** Keystone: `{"error": {"code": 401, "title": "Unauthorized", "message": "…"}}`. */
export const keystoneEnvelope: ErrorEnvelope = (status, message) => ({
  error: { code: status, title: statusTitle(status), message },
})

/** Glance (webob's JSON error body): `{"code": "404 Not Found", "title": "Not Found", "message": "…"}`. */
export const glanceEnvelope: ErrorEnvelope = (status, message) => ({
  code: `${status} ${statusTitle(status)}`,
  title: statusTitle(status),
  message,
})
