import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { openFileStream } from '../common/file-stream.js'
import { keystoneEnvelope } from '../common/envelopes.js'
import { Conflict, Unauthorized, UnsupportedMediaType } from '../../services/errors.js'
import { consoleRequestRoutes } from './console-routes.js'
import {
  AgentImageInfoSchema, FinishTaskRequestSchema, HeartbeatRequestSchema, IdParamsSchema, LeaseRequestSchema, LeaseResponseSchema, PowerStateRequestSchema,
  RegisterRequestSchema, RegisterResponseSchema, TaskEventsRequestSchema, TaskStepRequestSchema,
} from '../../agent-api/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The compute host an agent request comes from (after its credential was checked). */
    agentHost: string
  }
}

/**
 * `/agent/v1`: the internal API compute agents use — the embedded one over
 * loopback and remote ones alike. Authenticated per host by a credential
 * whose hash the control plane keeps; never part of the public catalog.
 */
export function agentPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const gateway = () => ctx.services.agents
  return async (app) => {
    installErrorHandling(app, keystoneEnvelope)
    // Answers are serialized by the contract's response schemas (src/agent-api): the serializer writes only
    // the properties they name, so nothing the gateway did not mean to send reaches an agent.
    app.decorateRequest('agentHost', '')
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
    // Credentials first, before the body is even read: an unauthenticated caller learns nothing, not even
    // what a valid body looks like, and can't make the control plane buffer one.
    app.addHook('onRequest', async (req) => {
      const host = req.headers['x-lifeboat-agent-host']
      const credential = req.headers['x-lifeboat-agent-credential']
      if (typeof host !== 'string' || typeof credential !== 'string') throw new Unauthorized('Agent credentials are required.')
      await gateway().authenticate(host, credential)
      req.agentHost = host
    })

    app.post('/register', { schema: { body: RegisterRequestSchema, response: { 200: RegisterResponseSchema } } }, async (req) => gateway().register(req.agentHost, req.body, req.socket.remoteAddress))
    app.post('/heartbeat', { schema: { body: HeartbeatRequestSchema } }, async (req, reply) => {
      await gateway().heartbeat(req.agentHost, req.body.session)
      reply.status(204).send()
    })
    app.post('/tasks/lease', { schema: { body: LeaseRequestSchema, response: { 200: LeaseResponseSchema } } }, async (req) => ({
      tasks: await gateway().lease(req.agentHost, req.body.session, req.body.max, req.body.waitMs),
    }))
    app.post('/tasks/:id/events', { schema: { params: IdParamsSchema, body: TaskEventsRequestSchema } }, async (req, reply) => {
      await gateway().recordEvents(req.params.id, req.body.events, req.agentHost)
      reply.status(204).send()
    })
    app.post('/tasks/:id/task-state', { schema: { params: IdParamsSchema, body: TaskStepRequestSchema } }, async (req, reply) => {
      await gateway().taskStep(req.params.id, req.body)
      reply.status(204).send()
    })
    app.post('/tasks/:id/finish', { schema: { params: IdParamsSchema, body: FinishTaskRequestSchema } }, async (req, reply) => {
      await gateway().finish(req.params.id, req.body, req.agentHost)
      reply.status(204).send()
    })
    app.post('/instances/:id/power-state', { schema: { params: IdParamsSchema, body: PowerStateRequestSchema } }, async (req, reply) => {
      await gateway().syncPowerState(req.agentHost, req.params.id, req.body.powerState)
      reply.status(204).send()
    })
    await app.register(consoleRequestRoutes(ctx))
    app.get('/images/:id', { schema: { params: IdParamsSchema, response: { 200: AgentImageInfoSchema } } }, async (req) => gateway().imageInfo(req.params.id))
    app.get('/images/:id/file', { schema: { params: IdParamsSchema } }, async (req, reply) => {
      const info = await gateway().imageInfo(req.params.id)
      // An image without data (queued, saving, deactivated…) has no file to stream.
      const stream = info.path === '' ? null : await openFileStream(info.path)
      if (!stream) throw new Conflict(`Image ${req.params.id} has no data.`)
      reply.type('application/octet-stream')
      return reply.send(stream)
    })
    // The type is checked before parsing: a JSON body would be buffered up to this route's body limit.
    const octetStreamOnly = async (req: FastifyRequest) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      if (type !== 'application/octet-stream') throw new UnsupportedMediaType(`Invalid content type ${req.headers['content-type'] ?? ''}`)
    }
    app.put('/images/:id/file', { schema: { params: IdParamsSchema }, bodyLimit: 1024 ** 4, preParsing: octetStreamOnly }, async (req, reply) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-upload-'))
      const file = path.join(dir, 'data')
      try {
        await gateway().imageUploadStarting(req.params.id)
        await pipeline(req.body as NodeJS.ReadableStream, fs.createWriteStream(file))
        await ctx.services.images.importImageFile(req.params.id, file)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
      reply.status(204).send()
    })
  }
}
