import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe } from 'node:test'
import { loadConfig, type ConfigInput } from '../../src/config.js'
import { startLifeboat, type RunningLifeboat } from '../../src/server.js'
import type { LoggerOption } from '../../src/api/app.js'
import type { DialectName } from '../../src/db/database.js'
import { POSTGRES_AVAILABLE, createTestDatabase } from './postgres.js'
import { skipUnless } from './tiers.js'
import { keystoneLogin } from '../../src/util/keystone-login.js'

export const ADMIN_PASSWORD = 'admin-secret-pw'
export const DEMO_PASSWORD = 'demo-secret-pw'

/** A response as tests look at it. */
export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface RequestOptions {
  body?: unknown
  /** Raw body (string or bytes) sent as is; set `contentType` with it. */
  rawBody?: string | Uint8Array
  contentType?: string
  headers?: Record<string, string>
  /** Sent as both `OpenStack-API-Version: <service> X` and the legacy Nova header for compute. */
  microversion?: string
  token?: string | null
}

/** A logged-in user: token, ids, and a request function bound to them. */
export interface Session {
  token: string
  userId: string
  projectId: string
  request<T = any>(method: string, urlPath: string, options?: RequestOptions): Promise<ApiResponse<T>>
}

export interface TestCloud {
  url: string
  dialect: DialectName
  running: RunningLifeboat
  admin: Session
  demo: Session
  /** Sends a request with an explicit token (or none). */
  request<T = any>(method: string, urlPath: string, options?: RequestOptions): Promise<ApiResponse<T>>
  login(userName: string, password: string, projectName: string): Promise<Session>
  close(): Promise<void>
}

function serviceOf(urlPath: string): string {
  const first = urlPath.split('/')[1]
  return first === 'volume' ? 'volume' : first === 'placement' ? 'placement' : 'compute'
}

async function send<T>(base: string, method: string, urlPath: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  if (options.token) headers['x-auth-token'] = options.token
  if (options.microversion) {
    const service = serviceOf(urlPath)
    headers['openstack-api-version'] = `${service} ${options.microversion}`
    if (service === 'compute') headers['x-openstack-nova-api-version'] = options.microversion
  }
  let body: string | Uint8Array | undefined
  if (options.rawBody !== undefined) {
    body = options.rawBody
    if (options.contentType) headers['content-type'] = options.contentType
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers['content-type'] = options.contentType ?? 'application/json'
  }
  const response = await fetch(base + urlPath, { method, headers, body: body as BodyInit | undefined })
  const text = await response.text()
  let parsed: unknown = text
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
  return { status: response.status, headers: response.headers, body: parsed as T, text }
}

/** Logs in with a password, scoped to a project in the default domain. */
export async function login(base: string, userName: string, password: string, projectName: string): Promise<Session> {
  const { token, body } = await keystoneLogin(`${base}/identity`, { userName, password, projectName })
  return {
    token,
    userId: body.token.user.id,
    projectId: body.token.project!.id,
    request: (method, urlPath, options = {}) => send(base, method, urlPath, { token, ...options }),
  }
}

/** Options of startTestCloud beyond the configuration. */
export interface TestCloudOptions {
  /** The API's logger (default: none), e.g. `{ level: 'info', file }` to read a cloud's log. */
  logger?: LoggerOption
  /**
   * The console proxy port console URLs name, instead of the started proxy's (the console API's tests);
   * null: as if no proxy listened (consoles unavailable).
   */
  consoleProxyPort?: number | null
}

/** Starts a Lifeboat on an ephemeral port over a fresh SQLite file or PostgreSQL database. */
export async function startTestCloud(dialect: DialectName, overrides: ConfigInput = {}, options: TestCloudOptions = {}): Promise<TestCloud> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-test-'))
  const database = dialect === 'postgres' ? await createTestDatabase() : null
  const config = loadConfig(
    { host: '127.0.0.1', port: 0, consolePort: 0, dataDir, databaseUrl: database?.url, logLevel: 'silent', agent: { driver: 'fake' } },
    overrides,
  )
  const consolePort = options.consoleProxyPort
  const running = await startLifeboat(config, {
    logger: options.logger ?? false, bootstrapPasswords: { admin: ADMIN_PASSWORD, demo: DEMO_PASSWORD },
    ...(consolePort === undefined ? {} : { consoleProxyPort: () => consolePort }),
  })
  const url = running.url
  const admin = await login(url, 'admin', ADMIN_PASSWORD, 'admin')
  const demo = await login(url, 'demo', DEMO_PASSWORD, 'demo')
  return {
    url, dialect, running, admin, demo,
    request: (method, urlPath, options) => send(url, method, urlPath, options),
    login: (userName, password, projectName) => login(url, userName, password, projectName),
    async close() {
      await running.close()
      await database?.drop()
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The dialects functional tests run on; PostgreSQL skips (or fails in CI) when absent. */
export const DIALECTS: DialectName[] = ['sqlite', 'postgres']

function dialectSkip(dialect: DialectName): string | false {
  if (dialect === 'sqlite') return false
  return skipUnless(POSTGRES_AVAILABLE, 'PostgreSQL', 'apt-get install postgresql && bash .ci/start-postgres (or set LIFEBOAT_TEST_POSTGRES_URL)')
}

/**
 * Kysely-style: runs the suite once per dialect, `sqlite: <title>` and
 * `postgres: <title>`, each over its own freshly started cloud.
 */
export function describeEachDialect(title: string, suite: (cloud: () => TestCloud) => void, overrides: ConfigInput = {}, options: TestCloudOptions = {}): void {
  for (const dialect of DIALECTS) {
    const skip = dialectSkip(dialect)
    describe(`${dialect}: ${title}`, { skip }, () => {
      let cloud: TestCloud | undefined
      before(async () => {
        cloud = await startTestCloud(dialect, overrides, options)
      })
      after(async () => {
        await cloud?.close()
      })
      suite(() => {
        if (!cloud) throw new Error('cloud not started')
        return cloud
      })
    })
  }
}
