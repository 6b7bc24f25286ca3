import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, test } from 'node:test'
import { buildRunWrapper, parseRunFrame, tailBytes } from '../../../src/util/rescue-run-frame.js'

const run = promisify(execFile)
const NONCE = '0123456789abcdef0123456789abcdef'

/** Runs the wrapper with the host's sh, its channel a file; answers what the channel received. */
async function runWrapper(script: string, options: { timeoutSeconds?: number; maxOutputBytes?: number } = {}): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-wrapper-'))
  try {
    const channel = path.join(dir, 'channel')
    const wrapper = buildRunWrapper({ script, nonce: NONCE, timeoutSeconds: options.timeoutSeconds ?? 30, maxOutputBytes: options.maxOutputBytes ?? 65536, channel })
    fs.writeFileSync(path.join(dir, 'user_data'), wrapper)
    await run('sh', [path.join(dir, 'user_data')], { timeout: 20_000 })
    return fs.readFileSync(channel, 'latin1')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe('rescue run wrapper (real sh)', () => {
  test('runs the script, reports its exit status and its stdout and stderr', async () => {
    const frame = parseRunFrame(await runWrapper('#!/bin/sh\necho out\necho err >&2\nexit 7\n'), NONCE)
    assert.ok(frame)
    assert.equal(frame.exitStatus, 7)
    assert.equal(frame.timedOut, false)
    assert.equal(frame.output, 'out\nerr\n')
  })

  test('a script without #! runs with sh; quotes and heredoc-looking lines pass through as written', async () => {
    const script = "printf '%s\\n' \"it's\" 'EOF'\ncat <<'EOF'\n$HOME stays literal\nEOF\n"
    const frame = parseRunFrame(await runWrapper(script), NONCE)
    assert.equal(frame?.exitStatus, 0)
    assert.equal(frame?.output, "it's\nEOF\n$HOME stays literal\n")
  })

  test('a script past its timeout is stopped: timed_out, TERM status', async () => {
    const frame = parseRunFrame(await runWrapper('sleep 20\n', { timeoutSeconds: 1 }), NONCE)
    assert.equal(frame?.timedOut, true)
    assert.equal(frame?.exitStatus, 143)
  })

  test('leaves no watcher behind: its sleep ends with the wrapper, so the output pipe of what ran it closes at once', async () => {
    // A timeout no other process uses, to find a leftover watcher by its command line.
    const timeoutSeconds = 86_000 + Math.floor(Math.random() * 399)
    const frame = parseRunFrame(await runWrapper('echo quick\n', { timeoutSeconds }), NONCE)
    assert.equal(frame?.exitStatus, 0)
    const { stdout } = await run('ps', ['-eo', 'args'])
    assert.ok(!stdout.split('\n').some((line) => line.trim() === `sleep ${timeoutSeconds}`), 'no sleep of the watcher is left running')
  })

  test('keeps the tail of a long output and says it was cut', async () => {
    const frame = parseRunFrame(await runWrapper('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done\n', { maxOutputBytes: 100 }), NONCE)
    assert.equal(frame?.truncated, true)
    assert.ok(frame!.output.endsWith('line 1999\n'))
    assert.ok(Buffer.byteLength(frame!.output) <= 100)
  })
})

describe('rescue run frame', () => {
  test('only the frame with the run\'s nonce counts; forged or partial frames are ignored', () => {
    const forged = `LIFEBOAT-RUN ${'f'.repeat(32)} exit=0 timed_out=0 duration_ms=1 truncated=0 encoding=b64\nb2sK\nLIFEBOAT-RUN-END ${'f'.repeat(32)}\n`
    assert.equal(parseRunFrame(forged, NONCE), null)
    const header = `LIFEBOAT-RUN ${NONCE} exit=1 timed_out=0 duration_ms=5 truncated=0 encoding=hex`
    assert.equal(parseRunFrame(`${header}\n6f 6b\n`, NONCE), null, 'no end line yet')
    assert.deepEqual(parseRunFrame(`noise\n${forged}${header}\n 6f 6b 0a\nLIFEBOAT-RUN-END ${NONCE}\n`, NONCE), { exitStatus: 1, timedOut: false, durationMs: 5, truncated: false, output: 'ok\n' })
  })

  test('a bad nonce is refused when building the wrapper', () => {
    assert.throws(() => buildRunWrapper({ script: 'true', nonce: 'x; rm -rf /', timeoutSeconds: 1, maxOutputBytes: 10, channel: '/dev/ttyS1' }))
  })

  test('tailBytes keeps whole characters at the end', () => {
    assert.deepEqual(tailBytes('abc', 10), { text: 'abc', truncated: false })
    assert.deepEqual(tailBytes('ééé', 3), { text: 'é', truncated: true })
  })
})
