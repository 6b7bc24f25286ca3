import fs from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { AgentImageInfo, AgentTask, FinishTaskRequest, RegisterRequest, RegisterResponse, TaskEventRequest } from './agent-protocol.js'

/** An error answer of the control plane's agent API. */
export class AgentApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'AgentApiError'
    this.status = status
  }
}

/** The agent's only way to the control plane: the internal HTTP agent API. */
export class AgentApiClient {
  readonly #base: string
  readonly #headers: Record<string, string>

  constructor(controlUrl: string, host: string, credential: string) {
    this.#base = `${controlUrl.replace(/\/+$/, '')}/agent/v1`
    this.#headers = { 'x-lifeboat-agent-host': host, 'x-lifeboat-agent-credential': credential }
  }

  async #call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await fetch(this.#base + path, {
      method, signal,
      headers: { ...this.#headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new AgentApiError(response.status, `${method} ${path}: ${response.status} ${text}`)
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

  event(taskId: string, request: TaskEventRequest): Promise<void> {
    return this.#call('POST', `/tasks/${taskId}/events`, request)
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

  /** Downloads an image's data to `target`. */
  async downloadImage(imageId: string, target: string): Promise<void> {
    const response = await fetch(`${this.#base}/images/${imageId}/file`, { headers: this.#headers })
    if (!response.ok || !response.body) throw new AgentApiError(response.status, `download of image ${imageId} failed`)
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), fs.createWriteStream(target))
  }

  /** Uploads a snapshot's data as the image's file. */
  async uploadImage(imageId: string, source: string): Promise<void> {
    const size = fs.statSync(source).size
    const response = await fetch(`${this.#base}/images/${imageId}/file`, {
      method: 'PUT',
      headers: { ...this.#headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(fs.createReadStream(source)) as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit)
    if (!response.ok) throw new AgentApiError(response.status, `upload of image ${imageId} failed: ${await response.text()}`)
  }
}
