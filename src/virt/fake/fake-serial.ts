import { Duplex } from 'node:stream'

/** How long a typed line may grow before it is recorded anyway. */
const MAX_TYPED = 1024

/**
 * The serial port of one fake domain while its (pretend) process runs. Each
 * stream it opens is a raw byte stream like a QEMU serial socket: what a
 * viewer sends is echoed back (as a guest's tty echoes keys), a carriage
 * return as CR LF, and each typed line is recorded in the console log so
 * `os-getConsoleOutput` shows it. A boot's lines go to the open streams; the
 * lines of a boot that no stream saw (the process had just started) are
 * written to the next stream opened, as a viewer that reconnects at once
 * would see a real guest boot. `hangUp` ends every stream, as a QEMU process
 * that exits closes its socket.
 */
export class FakeSerialPort {
  readonly #streams = new Set<Duplex>()
  readonly #record: (line: string) => void
  #unseen: string[] = []
  #typed = ''

  /** `record` appends a line to the domain's console log. */
  constructor(record: (line: string) => void) {
    this.#record = record
  }

  /** A new stream to the serial line. */
  open(): Duplex {
    const port = this
    const stream: Duplex = new Duplex({
      read() { /* output is pushed */ },
      write(chunk: Buffer, _encoding, callback) {
        port.#typedBy(stream, chunk)
        callback()
      },
      final(callback) {
        this.push(null)
        callback()
      },
      destroy(error, callback) {
        port.#streams.delete(stream)
        callback(error)
      },
    })
    this.#streams.add(stream)
    if (this.#unseen.length > 0) stream.push(Buffer.from(this.#unseen.map((line) => `${line}\r\n`).join('')))
    this.#unseen = []
    return stream
  }

  /** Guest output: lines for every open stream (kept for the next one when none is open). */
  output(lines: string[]): void {
    if (lines.length === 0) return
    if (this.#streams.size === 0) {
      this.#unseen.push(...lines)
      return
    }
    const bytes = Buffer.from(lines.map((line) => `${line}\r\n`).join(''))
    for (const stream of this.#streams) stream.push(bytes)
  }

  /** The process went away: every stream ends, unseen output and a half-typed line are dropped. */
  hangUp(): void {
    this.#unseen = []
    this.#typed = ''
    for (const stream of [...this.#streams]) {
      stream.push(null)
      stream.destroy()
    }
  }

  /** Echoes input to every stream and records typed lines. */
  #typedBy(_from: Duplex, chunk: Buffer): void {
    const text = chunk.toString('utf8')
    const echo = text.replace(/\r\n?/g, '\r\n')
    for (const stream of this.#streams) stream.push(Buffer.from(echo))
    for (const char of text) {
      if (char === '\r' || char === '\n') {
        if (this.#typed.length > 0) this.#record(this.#typed)
        this.#typed = ''
      } else if (char === '\x7f' || char === '\b') {
        this.#typed = this.#typed.slice(0, -1)
      } else if (char >= ' ') {
        this.#typed += char
        if (this.#typed.length >= MAX_TYPED) {
          this.#record(this.#typed)
          this.#typed = ''
        }
      }
    }
  }
}
