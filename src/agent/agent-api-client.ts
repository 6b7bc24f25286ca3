import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import WebSocket from 'ws'
import type { AgentImageInfo, AgentTask, FinishTaskRequest, RegisterRequest, RegisterResponse, TaskEventsRequest, TaskStepRequest } from '../agent-api/index.js'
import { CONSOLE_REQUESTS_PATH, ConsoleRequestsReplySchema, consoleStreamPath, type ConsoleRequest } from '../agent-api/consoles.js'
import { agentTlsOptions, type AgentTls } from '../util/tls.js'
import { AgentErrorCode } from './error-codes.js'

const CONSOLE_REQUESTS_REPLY = TypeCompiler.Compile(ConsoleRequestsReplySchema)

/** The contract's paths are absolute (`/agent/v1/...`); the client's base already ends in `/agent/v1`. */
function underBase(fullPath: string): string {
  return fullPath.replace(/^\/agent\/v1/, '')
}

/** An error answer of the control plane's agent API. */
export class AgentApiError extends Error {
  /** Always `LB_AGENT_API_ERROR`; `status` tells which answer it was. */
  readonly code = AgentErrorCode.AGENT_API_ERROR
  /** The HTTP status the control plane answered with. */
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'AgentApiError'
    this.status = status
  }
}

interface RequestOptions {
  headers?: Record<string, string>
  body?: string | Readable
  signal?: AbortSignal
}

async function readText(response: http.IncomingMessage): Promise<string> {
  response.setEncoding('utf8')
  let text = ''
  for await (const chunk of response) text += chunk as string
  return text
}

/**
 * The agent's only way to the control plane: the internal HTTP agent API.
 * Requests go over one keep-alive agent of node:http: a task makes a dozen
 * small calls, and a new connection (or fetch's machinery) for each costs
 * more than the call itself.
 */
export class AgentApiClient {
  readonly #base: URL
  readonly #headers: Record<string, string>
  readonly #transport: typeof http | typeof https
  /** Every call's connections (the console dial-back's too): with `https`, the TLS trust rides on it. */
  readonly #agent: http.Agent

  /** `tls`: how to trust an `https` control plane (absent: the system's trust store); verification is never off. */
  constructor(controlUrl: string, host: string, credential: string, tls?: AgentTls) {
    this.#base = new URL(`${controlUrl.replace(/\/+$/, '')}/agent/v1`)
    this.#headers = { 'x-lifeboat-agent-host': host, 'x-lifeboat-agent-credential': credential }
    this.#transport = this.#base.protocol === 'https:' ? https : http
    const trust = this.#base.protocol === 'https:' ? agentTlsOptions(tls) : {}
    this.#agent = new this.#transport.Agent({ keepAlive: true, keepAliveMsecs: 1000, ...trust })
  }

  /**
   * One request; resolves with the response once its head arrived. A request
   * that fails on a reused keep-alive connection before any answer (the
   * server closed it while idle) is sent once more on a fresh one.
   */
  #request(method: string, path: string, options: RequestOptions, retried = false): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const body = options.body
      const req = this.#transport.request(this.#base.href + path, {
        method, agent: this.#agent, signal: options.signal,
        headers: {
          ...this.#headers, ...options.headers,
          ...(typeof body === 'string' ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      }, resolve)
      req.on('error', (error: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && !retried && typeof body !== 'object' && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !options.signal?.aborted
        if (stale) this.#request(method, path, options, true).then(resolve, reject)
        else reject(error)
      })
      if (body === undefined) req.end()
      else if (typeof body === 'string') req.end(body)
      else pipeline(body, req).catch(reject)
    })
  }

  async #call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.#request(method, path, { body: body === undefined ? undefined : JSON.stringify(body), signal })
    const text = await readText(response)
    const status = response.statusCode ?? 0
    if (status < 200 || status > 299) throw new AgentApiError(status, `${method} ${path}: ${status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  register(request: RegisterRequest): Promise<RegisterResponse> {
    return this.#call('POST', '/register', request)
  }

  heartbeat(session: string): Promise<void> {
    return this.#call('POST', '/heartbeat', { session })
  }

  /** Long poll: waits up to `waitMs` for work. */
  async lease(session: string, max: number, waitMs: number, signal?: AbortSignal): Promise<AgentTask[]> {
    return (await this.#call<{ tasks: AgentTask[] }>('POST', '/tasks/lease', { session, max, waitMs }, signal)).tasks
  }

  events(taskId: string, request: TaskEventsRequest): Promise<void> {
    return this.#call('POST', `/tasks/${taskId}/events`, request)
  }

  /** Reports that a task reached its next step (the server's task_state). */
  taskStep(taskId: string, request: TaskStepRequest): Promise<void> {
    return this.#call('POST', `/tasks/${taskId}/task-state`, request)
  }

  finish(taskId: string, request: FinishTaskRequest): Promise<void> {
    return this.#call('POST', `/tasks/${taskId}/finish`, request)
  }

  reportPowerState(instanceId: string, powerState: number): Promise<void> {
    return this.#call('POST', `/instances/${instanceId}/power-state`, { powerState })
  }

  imageInfo(imageId: string): Promise<AgentImageInfo> {
    return this.#call('GET', `/images/${imageId}`)
  }

  /** Long poll: the viewers waiting for this agent to dial back (`CONSOLE_REQUESTS_PATH`), after up to `waitMs`. */
  async consoleRequests(waitMs: number, signal?: AbortSignal): Promise<ConsoleRequest[]> {
    const reply = await this.#call<unknown>('GET', `${underBase(CONSOLE_REQUESTS_PATH)}?wait_ms=${Math.round(waitMs)}`, undefined, signal)
    if (!CONSOLE_REQUESTS_REPLY.Check(reply)) throw new AgentApiError(200, `GET ${CONSOLE_REQUESTS_PATH}: the reply does not match the contract`)
    return reply.requests
  }

  /**
   * Dials back one console session as a websocket: the same credential
   * headers and transport (TLS settings included) as every other call,
   * without compression (one frame per chunk, as RFB readers expect).
   */
  openConsoleStream(sessionId: string): WebSocket {
    const url = new URL(this.#base.href + underBase(consoleStreamPath(sessionId)))
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    return new WebSocket(url, { headers: this.#headers, perMessageDeflate: false, agent: this.#agent, handshakeTimeout: 10_000 })
  }

  /** Downloads an image's data to `target`. */
  async downloadImage(imageId: string, target: string): Promise<void> {
    const response = await this.#request('GET', `/images/${imageId}/file`, {})
    const status = response.statusCode ?? 0
    if (status < 200 || status > 299) {
      response.resume()
      throw new AgentApiError(status, `download of image ${imageId} failed`)
    }
    await pipeline(response, fs.createWriteStream(target))
  }

  /** Uploads a snapshot's data as the image's file. */
  async uploadImage(imageId: string, source: string): Promise<void> {
    const size = fs.statSync(source).size
    const response = await this.#request('PUT', `/images/${imageId}/file`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: fs.createReadStream(source),
    })
    const text = await readText(response)
    const status = response.statusCode ?? 0
    if (status < 200 || status > 299) throw new AgentApiError(status, `upload of image ${imageId} failed: ${text}`)
  }
}
