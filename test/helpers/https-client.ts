import http from 'node:http'
import https from 'node:https'

/** An answer as the TLS tests read it. */
export interface HttpsAnswer {
  status: number
  body: any
  headers: http.IncomingHttpHeaders
}

/**
 * One JSON request with node's own client, trusting `ca` (fetch cannot be
 * given a CA without undici's dispatcher). `http:` URLs go out as plain HTTP.
 */
export function requestJson(url: string, options: { ca?: string; method?: string; token?: string; body?: unknown; rawBody?: Buffer; headers?: Record<string, string> } = {}): Promise<HttpsAnswer> {
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  const headers: Record<string, string> = { accept: 'application/json', ...(options.token ? { 'x-auth-token': options.token } : {}) }
  const contentType = options.rawBody ? 'application/octet-stream' : 'application/json'
  if (text !== undefined) Object.assign(headers, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)) })
  Object.assign(headers, options.headers)
  const transport = url.startsWith('https:') ? https : http
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: options.method ?? 'GET', headers, agent: false, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      res.setEncoding('utf8')
      let body = ''
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body && (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(body) : body }))
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url}`)))
    req.on('error', reject)
    req.end(text)
  })
}

/** A password login over HTTPS: the token and the body (with its catalog). */
export async function loginOver(base: string, ca: string, userName: string, password: string, projectName: string): Promise<{ token: string; body: any }> {
  const answer = await requestJson(`${base}/identity/v3/auth/tokens`, {
    ca, method: 'POST',
    body: { auth: { identity: { methods: ['password'], password: { user: { name: userName, domain: { id: 'default' }, password } } }, scope: { project: { name: projectName, domain: { id: 'default' } } } } },
  })
  if (answer.status !== 201) throw new Error(`login of ${userName} failed: ${answer.status} ${JSON.stringify(answer.body)}`)
  return { token: String(answer.headers['x-subject-token']), body: answer.body }
}
