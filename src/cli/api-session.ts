import { findCredentials } from '../virt/qemu/guest-image/upload-images.js'
import { keystoneLogin } from '../util/keystone-login.js'

/** A logged-in client of the public APIs: the cloud's base URL and JSON calls with the token. */
export interface ApiSession {
  base: string
  call<T = any>(method: string, path: string, body?: unknown): Promise<T>
}

/** The cloud's base URL (Lifeboat serves every API on one listener): the compute endpoint without its `/compute…` path. */
function baseOf(catalog: unknown[]): string {
  const compute = (catalog as Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>).find((e) => e.type === 'compute')
  const url = compute?.endpoints.find((e) => e.interface === 'public')?.url
  if (!url) throw new Error('the catalog has no public compute endpoint')
  return url.replace(/\/compute(\/.*)?$/, '')
}

/** Logs in with clouds.yaml (or OS_* variables), as `lifeboat diagnose` does. */
export async function openSession(flags: { cloud?: string; dataDir?: string }): Promise<ApiSession> {
  const credentials = findCredentials({ cloud: flags.cloud, dataDir: flags.dataDir ?? process.env.LIFEBOAT_DATA_DIR ?? 'data' })
  const { token, body } = await keystoneLogin(credentials.authUrl, {
    userName: credentials.username, password: credentials.password, projectName: credentials.projectName,
    userDomain: { name: credentials.userDomainName }, projectDomain: { name: credentials.projectDomainName },
  })
  const base = baseOf(body.token.catalog ?? [])
  return {
    base,
    async call(method, path, requestBody) {
      const res = await fetch(`${base}${path}`, {
        method, headers: { 'x-auth-token': token, accept: 'application/json', ...(requestBody !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: requestBody !== undefined ? JSON.stringify(requestBody) : undefined,
      })
      const parsed = await res.json().catch(() => null) as any
      if (!res.ok) throw new Error(`${res.status}: ${(parsed && (Object.values(parsed as object)[0] as { message?: string })?.message) ?? res.statusText}`)
      return parsed
    },
  }
}
