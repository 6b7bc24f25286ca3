import http from 'node:http'

/** An answer as the bench looks at it. */
export interface BenchResponse<T = any> {
  status: number
  headers: http.IncomingHttpHeaders
  body: T
  /** Bytes of the body. */
  size: number
}

/** Options of one request. */
export interface BenchRequestOptions {
  body?: unknown
  rawBody?: Uint8Array
  contentType?: string
  microversion?: string
  token?: string
}

/**
 * A keep-alive HTTP/1.1 client on node:http: less overhead per request than
 * fetch, so the figures are mostly the server's.
 */
export class BenchClient {
  readonly #url: URL
  readonly #agent: http.Agent
  readonly token: string | undefined

  constructor(baseUrl: string, token?: string, agent?: http.Agent) {
    this.#url = new URL(baseUrl)
    this.#agent = agent ?? new http.Agent({ keepAlive: true, maxSockets: 64 })
    this.token = token
  }

  /** The same connection pool with another token. */
  withToken(token: string): BenchClient {
    return new BenchClient(this.#url.href, token, this.#agent)
  }

  /** Sends a request and reads the whole answer (JSON parsed when it is JSON). */
  request<T = any>(method: string, path: string, options: BenchRequestOptions = {}): Promise<BenchResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = options.token ?? this.token
    if (token) headers['x-auth-token'] = token
    if (options.microversion) {
      headers['openstack-api-version'] = `compute ${options.microversion}`
      headers['x-openstack-nova-api-version'] = options.microversion
    }
    let payload: Uint8Array | string | undefined
    if (options.rawBody) {
      payload = options.rawBody
      headers['content-type'] = options.contentType ?? 'application/octet-stream'
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body)
      headers['content-type'] = options.contentType ?? 'application/json'
    }
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload))
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.#url.hostname, port: this.#url.port, method, path, headers, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', reject)
          res.on('end', () => {
            const raw = Buffer.concat(chunks)
            const text = raw.toString('utf8')
            let body: unknown = text
            if ((res.headers['content-type'] ?? '').includes('json') && text !== '') body = JSON.parse(text)
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, size: raw.length })
          })
        },
      )
      req.on('error', reject)
      if (payload !== undefined) req.write(payload)
      req.end()
    })
  }

  /** Like `request`, but throws unless the status is `expected`. */
  async expect<T = any>(expected: number, method: string, path: string, options: BenchRequestOptions = {}): Promise<BenchResponse<T>> {
    const res = await this.request<T>(method, path, options)
    if (res.status !== expected) {
      throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`)
    }
    return res
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy()
  }
}
