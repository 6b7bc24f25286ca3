/**
 * The rescue run's wrapper and its result frame (docs/rescue-runs.md). The
 * wrapper is the rescue's user data: a POSIX sh script that writes the user's
 * script to a file, runs it with a timeout, keeps the tail of its stdout and
 * stderr, and writes ONE frame to the result channel (a second serial port,
 * which nothing else in the guest writes to). The frame carries a per-run
 * random nonce: output that merely looks like a frame (the original disk's
 * files, the script echoing a frame without the nonce) is never taken for it.
 * Pure: the agent builds the wrapper and parses what the channel received.
 */

/** How the frame is made: `LIFEBOAT-RUN <nonce> exit=<n> timed_out=<0|1> duration_ms=<n> truncated=<0|1> encoding=<b64|hex>`, the encoded output, `LIFEBOAT-RUN-END <nonce>`. */
const FRAME_START = 'LIFEBOAT-RUN'
const FRAME_END = 'LIFEBOAT-RUN-END'

/** A frame as parsed. */
export interface RunFrame {
  exitStatus: number
  timedOut: boolean
  durationMs: number
  truncated: boolean
  output: string
}

/** Quotes a value for sh (single quotes). */
function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

/** What the wrapper needs. */
export interface WrapperOptions {
  script: string
  /** Hex only (it is used in a heredoc delimiter and a grep-free frame). */
  nonce: string
  timeoutSeconds: number
  /** Bytes of output kept (the tail). */
  maxOutputBytes: number
  /** The result channel in the guest, e.g. /dev/ttyS1. */
  channel: string
}

/**
 * The user data of a rescue run. The script runs as a file (its own `#!`
 * line is honoured when executable, else sh runs it) from /tmp, with the
 * wrapper's environment `LIFEBOAT_RUN=1`. A script still running at the
 * timeout gets TERM, then KILL two seconds later; the frame says timed_out=1.
 */
export function buildRunWrapper(options: WrapperOptions): string {
  if (!/^[0-9a-f]{16,64}$/.test(options.nonce)) throw new Error('the run nonce must be 16 to 64 hex digits')
  const delimiter = `LIFEBOAT_SCRIPT_${options.nonce}`
  const script = options.script.endsWith('\n') ? options.script : `${options.script}\n`
  return `#!/bin/sh
# Lifeboat rescue run: runs the script below, then reports its exit status and output on ${options.channel}.
dir=$(mktemp -d /tmp/lifeboat-run.XXXXXX 2>/dev/null || { mkdir -p /tmp/lifeboat-run.$$ && echo /tmp/lifeboat-run.$$; })
cat > "$dir/script" <<'${delimiter}'
${script}${delimiter}
chmod 700 "$dir/script"
start=$(date +%s)
if head -c 2 "$dir/script" | grep -q '^#!'; then runner=""; else runner="sh"; fi
( cd / && LIFEBOAT_RUN=1 exec $runner "$dir/script" ) > "$dir/output" 2>&1 < /dev/null &
pid=$!
# The watcher polls once a second instead of sleeping the whole timeout, and holds none of the
# wrapper's descriptors: nothing it leaves behind outlives the run by more than a second or holds the
# output pipe of whatever ran the user data (cloud-init, a test). No traps: a signal racing a trap
# could leave a long sleep behind.
( i=0
  while [ $i -lt ${options.timeoutSeconds} ]; do sleep 1; kill -0 $pid 2>/dev/null || exit 0; i=$((i + 1)); done
  touch "$dir/timed-out"; kill -TERM $pid 2>/dev/null
  sleep 2; kill -KILL $pid 2>/dev/null ) < /dev/null > /dev/null 2>&1 &
watcher=$!
wait $pid
rc=$?
kill -TERM $watcher 2>/dev/null
wait $watcher 2>/dev/null
end=$(date +%s)
timed_out=0; [ -f "$dir/timed-out" ] && timed_out=1
size=$(wc -c < "$dir/output")
truncated=0; [ "$size" -gt ${options.maxOutputBytes} ] && truncated=1
tail -c ${options.maxOutputBytes} "$dir/output" > "$dir/tail"
if command -v base64 >/dev/null 2>&1; then encoding=b64; else encoding=hex; fi
{
  echo
  echo "${FRAME_START} ${options.nonce} exit=$rc timed_out=$timed_out duration_ms=$(( (end - start) * 1000 )) truncated=$truncated encoding=$encoding"
  if [ "$encoding" = b64 ]; then base64 < "$dir/tail"; else od -An -v -tx1 < "$dir/tail"; fi
  echo "${FRAME_END} ${options.nonce}"
} > ${shQuote(options.channel)}
sync
exit 0
`
}

const HEADER = /^LIFEBOAT-RUN ([0-9a-f]+) exit=(\d+) timed_out=([01]) duration_ms=(\d+) truncated=([01]) encoding=(b64|hex)$/

/**
 * The frame with this nonce in what the channel received, or null while it
 * is not complete. Lines without the nonce are ignored; a malformed frame
 * with the nonce is null too (the agent then waits for its deadline).
 */
export function parseRunFrame(received: string, nonce: string): RunFrame | null {
  const lines = received.split(/\r?\n/)
  const startIndex = lines.findIndex((line) => line.startsWith(`${FRAME_START} ${nonce} `))
  if (startIndex < 0) return null
  const header = HEADER.exec(lines[startIndex]!.trim())
  if (!header || header[1] !== nonce) return null
  const endIndex = lines.indexOf(`${FRAME_END} ${nonce}`, startIndex + 1)
  const endTrimmed = endIndex >= 0 ? endIndex : lines.findIndex((line, i) => i > startIndex && line.trim() === `${FRAME_END} ${nonce}`)
  if (endTrimmed < 0) return null
  const body = lines.slice(startIndex + 1, endTrimmed).join('')
  const bytes = header[6] === 'b64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : Buffer.from(body.replace(/\s+/g, ''), 'hex')
  return {
    exitStatus: Number(header[2]), timedOut: header[3] === '1', durationMs: Number(header[4]), truncated: header[5] === '1',
    output: bytes.toString('utf8'),
  }
}

/** The last `maxBytes` bytes of a text (on a character boundary), and whether anything was cut. */
export function tailBytes(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return { text, truncated: false }
  return { text: bytes.subarray(bytes.length - maxBytes).toString('utf8').replace(/^\uFFFD+/, ''), truncated: true }
}
