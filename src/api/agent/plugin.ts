import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { installErrorHandling } from '../common/error-handling.js'
import { keystoneEnvelope } from '../common/envelopes.js'
import { Unauthorized } from '../../services/errors.js'
import type { FinishTaskRequest, RegisterRequest } from '../../agent/agent-protocol.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The compute host an agent request comes from (after its credential was checked). */
    agentHost: string
  }
}

const IdParams = Type.Object({ id: Type.String() })
const LeaseBody = Type.Object({ session: Type.String(), max: Type.Integer({ minimum: 1, maximum: 64 }), waitMs: Type.Integer({ minimum: 0, maximum: 30000 }) })
const SessionBody = Type.Object({ session: Type.String() })
const PowerBody = Type.Object({ powerState: Type.Integer() })
const TaskEventSchema = Type.Object({
  event: Type.String({ minLength: 1, maxLength: 255 }),
  phase: Type.Union([Type.Literal('start'), Type.Literal('finish')]),
  at: Type.String({ maxLength: 64 }),
  result: Type.Optional(Type.Union([Type.Literal('Success'), Type.Literal('Error')])),
  details: Type.Optional(Type.String()),
})
const EventsBody = Type.Object({ session: Type.String(), events: Type.Array(TaskEventSchema, { maxItems: 1000 }) })

/**
 * `/agent/v1`: the internal API compute agents use — the embedded one over
 * loopback and remote ones alike. Authenticated per host by a credential
 * whose hash the control plane keeps; never part of the public catalog.
 */
export function agentPlugin(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const gateway = () => ctx.services.agents
  return async (app) => {
    installErrorHandling(app, keystoneEnvelope)
    app.decorateRequest('agentHost', '')
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload))
    app.addHook('preHandler', async (req) => {
      const host = req.headers['x-lifeboat-agent-host']
      const credential = req.headers['x-lifeboat-agent-credential']
      if (typeof host !== 'string' || typeof credential !== 'string') throw new Unauthorized('Agent credentials are required.')
      await gateway().authenticate(host, credential)
      req.agentHost = host
    })

    app.post('/register', async (req) => gateway().register({ ...(req.body as RegisterRequest), host: req.agentHost }))
    app.post('/heartbeat', { schema: { body: SessionBody } }, async (req, reply) => {
      await gateway().heartbeat(req.agentHost, req.body.session)
      reply.status(204).send()
    })
    app.post('/tasks/lease', { schema: { body: LeaseBody } }, async (req) => ({
      tasks: await gateway().lease(req.agentHost, req.body.session, req.body.max, req.body.waitMs),
    }))
    app.post('/tasks/:id/events', { schema: { params: IdParams, body: EventsBody } }, async (req, reply) => {
      await gateway().recordEvents(req.params.id, req.body.events, req.agentHost)
      reply.status(204).send()
    })
    app.post('/tasks/:id/finish', { schema: { params: IdParams } }, async (req, reply) => {
      await gateway().finish(req.params.id, req.body as FinishTaskRequest, req.agentHost)
      reply.status(204).send()
    })
    app.post('/instances/:id/power-state', { schema: { params: IdParams, body: PowerBody } }, async (req, reply) => {
      await gateway().syncPowerState(req.agentHost, req.params.id, req.body.powerState)
      reply.status(204).send()
    })
    app.get('/images/:id', { schema: { params: IdParams } }, async (req) => gateway().imageInfo(req.params.id))
    app.get('/images/:id/file', { schema: { params: IdParams } }, async (req, reply) => {
      const info = await gateway().imageInfo(req.params.id)
      reply.type('application/octet-stream')
      return reply.send(fs.createReadStream(info.path))
    })
    app.put('/images/:id/file', { schema: { params: IdParams }, bodyLimit: 1024 ** 4 }, async (req, reply) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-upload-'))
      const file = path.join(dir, 'data')
      try {
        await pipeline(req.body as NodeJS.ReadableStream, fs.createWriteStream(file))
        await ctx.services.images.importImageFile(req.params.id, file)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
      reply.status(204).send()
    })
  }
}
