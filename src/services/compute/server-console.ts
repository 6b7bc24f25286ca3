import type { Store } from './ports.js'
import type { TaskQueue } from '../tasks/task-queue.js'
import type { CallContext } from './call-context.js'
import { authorize } from '../policy.js'
import { Conflict, LifeboatError } from '../errors.js'
import { getInstanceRow } from './instance-store.js'
import type { TaskReport } from '../../agent-api/index.js'
import { ServiceErrorCode } from '../error-codes.js'

const CONSOLE_WAIT_MS = 15_000

/**
 * `os-getConsoleOutput`: a call to the instance's agent (a task the API waits
 * for). Works in any state with a host, rescued included.
 */
export async function getConsoleOutput(deps: Store, tasks: TaskQueue, call: CallContext, id: string, length: number | null): Promise<string> {
  const auth = authorize(call.auth, 'os_compute_api:os-console-output', 'member')
  const row = await getInstanceRow(deps.db, auth, id)
  if (!row.host || row.vm_state === 'building') throw new Conflict(`Instance ${id} is not ready`, ServiceErrorCode.INSTANCE_NOT_READY)
  const taskId = await tasks.enqueue(deps.db, { instanceUuid: row.uuid, host: row.host, actionId: null, task: { kind: 'console_output', length } })
  tasks.notify(row.host)
  const done = await tasks.waitFor(taskId, CONSOLE_WAIT_MS)
  if (!done || done.status !== 'done') {
    if (!done) await tasks.abandon(deps.db, taskId, 'no answer from the compute agent')
    throw new LifeboatError('The compute agent did not answer in time.', ServiceErrorCode.AGENT_TIMEOUT, 504)
  }
  const report = JSON.parse(done.result ?? '{}') as TaskReport
  return String(report.output?.output ?? '')
}
