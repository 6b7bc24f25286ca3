// The dashboard's only way to the cloud: the public OpenStack APIs with the
// user's token, as any other client (no private endpoint). Endpoints come from
// the token's catalog; only their paths are used, so every request stays on
// the origin the page came from (the CSP allows nothing else).

/** The services the dashboard talks to, by catalog type (`lifeboat`: Lifeboat's own `/lifeboat/v1`, not in the catalog). */
export type ServiceType = 'identity' | 'compute' | 'image' | 'network' | 'lifeboat'

/** A logged-in user: the token and what the catalog said. */
export interface Session {
  token: string
  expiresAt: string
  userName: string
  projectName: string
  projectId: string
  /** Path of each service's public endpoint, e.g. `/compute/v2.1`. */
  endpoints: Record<ServiceType, string>
  /** The token's role names (admin-only actions are offered to admins; the API decides anyway). */
  roles?: string[]
}

/** The compute microversion the dashboard speaks: 2.87 lets volume-backed servers be rescued. */
export const COMPUTE_MICROVERSION = '2.87'

/** A refused request: the HTTP status and the service's own message. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** The message of an OpenStack error body: Nova's `{"conflictingRequest": {"message"}}`, Keystone's `{"error"}`, Neutron's `{"NeutronError"}`. */
export function errorMessage(status: number, text: string): string {
  try {
    const body: unknown = JSON.parse(text)
    if (body && typeof body === 'object') {
      for (const value of Object.values(body as Record<string, unknown>)) {
        const message = (value as { message?: unknown } | null)?.message
        if (typeof message === 'string') return message
      }
      const message = (body as { message?: unknown }).message
      if (typeof message === 'string') return message
    }
  } catch {
    // Not JSON (Glance answers some errors in text): the text itself.
  }
  return text.trim() || `HTTP ${status}`
}

const DEFAULT_PATHS: Record<ServiceType, string> = { identity: '/identity', compute: '/compute/v2.1', image: '/image', network: '/network', lifeboat: '/lifeboat/v1' }

interface CatalogEntry { type: string; endpoints: Array<{ interface: string; url: string }> }

function endpointsOf(catalog: CatalogEntry[]): Record<ServiceType, string> {
  const endpoints = { ...DEFAULT_PATHS }
  for (const type of Object.keys(endpoints) as ServiceType[]) {
    const url = catalog.find((e) => e.type === type)?.endpoints.find((e) => e.interface === 'public')?.url
    if (url) endpoints[type] = new URL(url, location.href).pathname.replace(/\/$/, '')
  }
  return endpoints
}

/** Keystone password authentication scoped to a project of the Default domain. */
export async function login(userName: string, password: string, projectName: string): Promise<Session> {
  const domain = { name: 'Default' }
  const response = await fetch('/identity/v3/auth/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: userName, domain, password } } },
        scope: { project: { name: projectName, domain } },
      },
    }),
  })
  const text = await response.text()
  if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, text))
  const token = response.headers.get('x-subject-token')
  if (!token) throw new ApiError(response.status, 'Keystone answered without a token')
  const body = JSON.parse(text) as { token: { expires_at: string; user: { name: string }; project: { id: string; name: string }; catalog?: CatalogEntry[]; roles?: Array<{ name: string }> } }
  return {
    token,
    expiresAt: body.token.expires_at,
    userName: body.token.user.name,
    projectName: body.token.project.name,
    projectId: body.token.project.id,
    endpoints: endpointsOf(body.token.catalog ?? []),
    roles: (body.token.roles ?? []).map((r) => r.name),
  }
}

/** Options of one request. */
export interface RequestOptions {
  method?: string
  body?: unknown
  /** Compute microversion (default COMPUTE_MICROVERSION for compute). */
  microversion?: string
}

/** Requests to the cloud with one session's token; a 401 ends the session. */
export class Api {
  constructor(readonly session: Session, private readonly onUnauthorized: () => void) {}

  /** Sends a request to `service` (path below its endpoint) and returns the parsed JSON body (null when empty). */
  async request<T = unknown>(service: ServiceType, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-auth-token': this.session.token }
    if (service === 'compute') {
      const version = options.microversion ?? COMPUTE_MICROVERSION
      headers['openstack-api-version'] = `compute ${version}`
      headers['x-openstack-nova-api-version'] = version
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json'
    // A session stored before a service was added has no path for it: the default one.
    const response = await fetch((this.session.endpoints[service] ?? DEFAULT_PATHS[service]) + path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
    const text = await response.text()
    if (response.status === 401) this.onUnauthorized()
    if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, text))
    return (text === '' ? null : JSON.parse(text)) as T
  }

  /** A server action (`POST /servers/{id}/action`). */
  action<T = unknown>(serverId: string, body: unknown): Promise<T> {
    return this.request<T>('compute', `/servers/${encodeURIComponent(serverId)}/action`, { body })
  }
}

const STORAGE_KEY = 'lifeboat.session'

/** The session kept for this tab (sessionStorage), or null when none or expired. */
export function storedSession(): Session | null {
  try {
    const session = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null
    if (session && Date.parse(session.expiresAt) > Date.now()) return session
  } catch {
    // A damaged entry is no session.
  }
  sessionStorage.removeItem(STORAGE_KEY)
  return null
}

/** Keeps (or, with null, forgets) the session for this tab. */
export function storeSession(session: Session | null): void {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session))
  else sessionStorage.removeItem(STORAGE_KEY)
}
