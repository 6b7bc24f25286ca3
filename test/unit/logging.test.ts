import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import pino from 'pino'
import { createLogger, REDACTED_PATHS } from '../../src/logging.js'

function capture(): { stream: Writable; lines: () => Array<Record<string, any>> } {
  const chunks: string[] = []
  const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done() } })
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>) }
}

describe('logging', () => {
  test('the one redaction list hides tokens, passwords and the agent credential header', () => {
    const out = capture()
    const log = pino({ redact: REDACTED_PATHS }, out.stream)
    log.info({ req: { headers: { 'x-auth-token': 't', 'x-lifeboat-agent-credential': 'secret', 'x-lifeboat-agent-host': 'h1' } }, user: { password: 'p' } }, 'line')
    const [line] = out.lines()
    assert.equal(line!.req.headers['x-auth-token'], '[Redacted]')
    assert.equal(line!.req.headers['x-lifeboat-agent-credential'], '[Redacted]')
    assert.equal(line!.req.headers['x-lifeboat-agent-host'], 'h1')
    assert.equal(line!.user.password, '[Redacted]')
  })

  test('false gives a silent logger; otherwise the level asked for', async () => {
    assert.equal((await createLogger('info', false)).level, 'silent')
    assert.equal((await createLogger('warn')).level, 'warn')
    assert.equal((await createLogger('info', { level: 'debug' })).level, 'debug')
  })
})
