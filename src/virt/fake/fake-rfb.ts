import { Duplex } from 'node:stream'

/** An RFB pixel format (RFC 6143 §7.4). */
export interface PixelFormat {
  bitsPerPixel: number
  depth: number
  bigEndian: boolean
  trueColour: boolean
  redMax: number
  greenMax: number
  blueMax: number
  redShift: number
  greenShift: number
  blueShift: number
}

/** The server's own format: 32 bits per pixel, 24 deep, little-endian, true colour. */
export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0,
}

/** Encodes a pixel format as its 16 bytes. */
export function encodePixelFormat(pf: PixelFormat): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt8(pf.bitsPerPixel, 0)
  b.writeUInt8(pf.depth, 1)
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2)
  b.writeUInt8(pf.trueColour ? 1 : 0, 3)
  b.writeUInt16BE(pf.redMax, 4)
  b.writeUInt16BE(pf.greenMax, 6)
  b.writeUInt16BE(pf.blueMax, 8)
  b.writeUInt8(pf.redShift, 10)
  b.writeUInt8(pf.greenShift, 11)
  b.writeUInt8(pf.blueShift, 12)
  return b
}

function decodePixelFormat(b: Buffer): PixelFormat {
  return {
    bitsPerPixel: b.readUInt8(0), depth: b.readUInt8(1), bigEndian: b.readUInt8(2) !== 0, trueColour: b.readUInt8(3) !== 0,
    redMax: b.readUInt16BE(4), greenMax: b.readUInt16BE(6), blueMax: b.readUInt16BE(8),
    redShift: b.readUInt8(10), greenShift: b.readUInt8(11), blueShift: b.readUInt8(12),
  }
}

/** Client message types and their fixed lengths (SetEncodings and ClientCutText grow, see `#messageLength`). */
const MESSAGE_LENGTH: Record<number, number> = { 0: 20, 2: 4, 3: 10, 4: 8, 5: 6, 6: 8 }

/** Stripes of colour, so a viewer shows something: a band per colour. */
const STRIPES: Array<[number, number, number]> = [[32, 48, 96], [200, 40, 40], [40, 180, 60], [40, 80, 220], [230, 200, 40], [32, 48, 96]]

/**
 * A tiny RFB 3.8 server over a byte stream, for the fake driver's VNC console:
 * version `RFB 003.008`, security type None (1), SecurityResult OK, a
 * ServerInit with a small framebuffer and the domain's name; a non-incremental
 * FramebufferUpdateRequest gets one raw rectangle of the whole screen in the
 * client's pixel format (an incremental one waits for a change that never
 * comes); key and pointer events are read and ignored. Each server message
 * is pushed as its own chunk, so a relay sends one message per frame.
 */
export class FakeRfbServer extends Duplex {
  readonly #width: number
  readonly #height: number
  readonly #name: Buffer
  #pixelFormat = SERVER_PIXEL_FORMAT
  #state: 'version' | 'security' | 'init' | 'normal' = 'version'
  #buffer: Buffer = Buffer.alloc(0)

  constructor(options: { name: string; width?: number; height?: number }) {
    super()
    this.#width = options.width ?? 128
    this.#height = options.height ?? 96
    this.#name = Buffer.from(options.name, 'utf8')
    this.push(Buffer.from('RFB 003.008\n', 'latin1'))
  }

  override _read(): void {
    // Output is pushed as the protocol goes; nothing to pull.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    try {
      while (this.#step()) { /* one message per step */ }
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.push(null)
    callback()
  }

  /** Handles one complete message from the buffer; false when more bytes are needed. */
  #step(): boolean {
    const b = this.#buffer
    switch (this.#state) {
      case 'version':
        if (b.length < 12) return false
        if (!/^RFB 003\.00[3-8]\n$/.test(b.subarray(0, 12).toString('latin1'))) throw new Error('not an RFB client')
        this.#consume(12)
        this.#state = 'security'
        this.push(Buffer.from([1, 1])) // one security type: None
        return true
      case 'security':
        if (b.length < 1) return false
        if (b[0] !== 1) throw new Error(`security type ${b[0]} was not offered`)
        this.#consume(1)
        this.#state = 'init'
        this.push(Buffer.alloc(4)) // SecurityResult: OK
        return true
      case 'init': {
        if (b.length < 1) return false
        this.#consume(1) // ClientInit's shared flag: every client shares this screen
        this.#state = 'normal'
        const head = Buffer.alloc(4)
        head.writeUInt16BE(this.#width, 0)
        head.writeUInt16BE(this.#height, 2)
        const nameLength = Buffer.alloc(4)
        nameLength.writeUInt32BE(this.#name.length, 0)
        this.push(Buffer.concat([head, encodePixelFormat(SERVER_PIXEL_FORMAT), nameLength, this.#name]))
        return true
      }
      case 'normal': {
        if (b.length < 1) return false
        const length = this.#messageLength(b)
        if (length === null || b.length < length) return false
        const message = b.subarray(0, length)
        this.#consume(length)
        if (message[0] === 0) this.#pixelFormat = decodePixelFormat(message.subarray(4, 20))
        else if (message[0] === 3 && message[1] === 0) this.push(this.#update())
        return true
      }
    }
  }

  /** The whole length of the client message at the head of `b`, or null until its header is in. */
  #messageLength(b: Buffer): number | null {
    const type = b[0]!
    const fixed = MESSAGE_LENGTH[type]
    if (fixed === undefined) throw new Error(`unknown RFB client message ${type}`)
    if (b.length < fixed) return null
    if (type === 2) return fixed + 4 * b.readUInt16BE(2)
    if (type === 6) return fixed + b.readUInt32BE(4)
    return fixed
  }

  #consume(n: number): void {
    this.#buffer = this.#buffer.subarray(n)
  }

  /** A FramebufferUpdate with one raw rectangle of the whole screen. */
  #update(): Buffer {
    const pf = this.#pixelFormat
    const bytes = Math.max(1, pf.bitsPerPixel / 8)
    const head = Buffer.alloc(16)
    head.writeUInt8(0, 0) // FramebufferUpdate
    head.writeUInt16BE(1, 2) // one rectangle
    head.writeUInt16BE(0, 4)
    head.writeUInt16BE(0, 6)
    head.writeUInt16BE(this.#width, 8)
    head.writeUInt16BE(this.#height, 10)
    head.writeInt32BE(0, 12) // raw encoding
    const pixels = Buffer.alloc(this.#width * this.#height * bytes)
    for (let y = 0; y < this.#height; y++) {
      const [r, g, bl] = STRIPES[Math.floor((y * STRIPES.length) / this.#height)]!
      const value = ((Math.round((r * pf.redMax) / 255) << pf.redShift) | (Math.round((g * pf.greenMax) / 255) << pf.greenShift)
        | (Math.round((bl * pf.blueMax) / 255) << pf.blueShift)) >>> 0
      for (let x = 0; x < this.#width; x++) {
        const at = (y * this.#width + x) * bytes
        if (pf.bigEndian) pixels.writeUIntBE(value % 2 ** (8 * bytes), at, bytes)
        else pixels.writeUIntLE(value % 2 ** (8 * bytes), at, bytes)
      }
    }
    return Buffer.concat([head, pixels])
  }
}
