import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConsoleCloseCode } from '../../../src/agent-api/consoles.js'
import { consoleFailure, startConsoleRelay } from '../../../src/agent/consoles/console-relay.js'
import { DriverError } from '../../../src/virt/virt-driver.js'
import { DriverErrorCode } from '../../../src/virt/error-codes.js'
import { waitUntil } from '../../helpers/wait-until.js'

describe('console relay', () => {
  test('driver failures map to the contract\'s close codes; only a gone domain or a missing console is final', () => {
    const of = (code: DriverErrorCode) => consoleFailure(new DriverError('x', { code }), 'serial')
    assert.deepEqual(of(DriverErrorCode.DOMAIN_NOT_FOUND), { code: ConsoleCloseCode.NO_INSTANCE, reason: 'instance not on this host', final: true })
    assert.deepEqual(of(DriverErrorCode.CONSOLE_NOT_RUNNING), { code: ConsoleCloseCode.NOT_RUNNING, reason: 'instance not running', final: false })
    assert.deepEqual(of(DriverErrorCode.CONSOLE_UNSUPPORTED), { code: ConsoleCloseCode.UNSUPPORTED, reason: 'no serial console', final: true })
    assert.deepEqual(consoleFailure(new Error('ECONNREFUSED'), 'vnc'), { code: ConsoleCloseCode.FAILED, reason: 'vnc console unavailable', final: false })
  })

  test('a failing poll is retried with backoff, logged once per outage, and stop ends the loop at once', async () => {
    const polls: number[] = []
    const lines: string[] = []
    const relay = startConsoleRelay({
      api: {
        consoleRequests: async () => {
          polls.push(Date.now())
          throw Object.assign(new Error('down'), { status: 502 })
        },
        openConsoleStream: () => { throw new Error('never') },
      },
      driver: { openConsole: async () => { throw new Error('never') } },
      log: { info: (_f, m) => lines.push(m), warn: (_f, m) => lines.push(m), error: (_f, m) => lines.push(m) },
      retryMs: 10, maxRetryMs: 40,
    })
    await waitUntil(() => polls.length >= 3, { timeoutMs: 5000, intervalMs: 5, what: 'the poll was not retried' })
    await relay.stop()
    const count = polls.length
    assert.deepEqual(lines, ['console requests poll failed; retrying with backoff'])
    await new Promise((resolve) => setTimeout(resolve, 60))
    assert.equal(polls.length, count, 'no poll after stop')
  })
})
