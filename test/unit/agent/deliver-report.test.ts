import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AgentApiError, type AgentApiClient } from '../../../src/agent/agent-api-client.js'
import type { AgentTask, FinishTaskRequest } from '../../../src/agent-api/index.js'
import type { ManagerContext } from '../../../src/agent/manager/manager-context.js'
import { deliverReport } from '../../../src/agent/manager/deliver-report.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }
const task = { id: 'task-1', instanceUuid: 'server-1', task: { kind: 'power_off' } } as unknown as AgentTask
const request: FinishTaskRequest = { session: 'session-1', report: { ok: true, powerState: 4 } }

/** A manager context whose `finish` fails with each of `failures` in turn, then succeeds. */
function contextFailing(failures: unknown[], stopping?: AbortSignal): { ctx: ManagerContext; calls: FinishTaskRequest[] } {
  const calls: FinishTaskRequest[] = []
  const api = {
    async finish(_taskId: string, body: FinishTaskRequest): Promise<void> {
      calls.push(body)
      const failure = failures.shift()
      if (failure) throw failure
    },
  } as unknown as AgentApiClient
  return { ctx: { api, log: quiet, stopping } as unknown as ManagerContext, calls }
}

test('a result is sent again while the control plane is unreachable or failing, until it is taken', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8774'), { code: 'ECONNREFUSED' })
  const { ctx, calls } = contextFailing([refused, new AgentApiError(503, 'restarting')])
  await deliverReport(ctx, task, request)
  assert.equal(calls.length, 3)
  assert.ok(calls.every((c) => c === request), 'the same result each time')
})

test('a refusal (the task is gone) is not retried', async () => {
  const { ctx, calls } = contextFailing([new AgentApiError(404, 'Task task-1 could not be found.')])
  await assert.rejects(deliverReport(ctx, task, request), /could not be found/)
  assert.equal(calls.length, 1)
})

test('an agent that stops gives the result up', async () => {
  const stopping = new AbortController()
  const { ctx, calls } = contextFailing([new Error('socket hang up'), new Error('socket hang up'), new Error('socket hang up')], stopping.signal)
  const delivering = deliverReport(ctx, task, request)
  stopping.abort()
  await assert.rejects(delivering, /socket hang up/)
  assert.ok(calls.length <= 2)
})
