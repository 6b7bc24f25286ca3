import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { encodePixelFormat, FakeRfbServer } from '../../../src/virt/fake/fake-rfb.js'

/** Collects the server's messages, one chunk each, as a relay would frame them. */
function client(server: FakeRfbServer): { chunks: Buffer[]; next(): Promise<Buffer> } {
  const chunks: Buffer[] = []
  let read = 0
  server.on('data', (chunk: Buffer) => chunks.push(chunk))
  return {
    chunks,
    async next() {
      while (chunks.length <= read) await once(server, 'data')
      return chunks[read++]!
    },
  }
}

describe('FakeRfbServer', () => {
  test('speaks RFB 3.8 with security None, as Tempest test_novnc checks, and answers an update request with a raw rectangle', async () => {
    const server = new FakeRfbServer({ name: 'server-1', width: 4, height: 2 })
    const c = client(server)
    assert.equal((await c.next()).toString('latin1'), 'RFB 003.008\n')
    server.write(Buffer.from('RFB 003.008\n'))
    assert.deepEqual([...(await c.next())], [1, 1], 'one security type: None')
    server.write(Buffer.from([1]))
    assert.deepEqual([...(await c.next())], [0, 0, 0, 0], 'SecurityResult OK')
    server.write(Buffer.from([1]))
    const init = await c.next()
    assert.equal(init.length, 24 + 'server-1'.length)
    assert.equal(init.readUInt16BE(0), 4)
    assert.equal(init.readUInt16BE(2), 2)
    assert.equal(init.readUInt8(4), 32, 'bits per pixel')
    assert.equal(init.readUInt32BE(20), 8)
    assert.equal(init.subarray(24).toString(), 'server-1')

    // noVNC's opening: SetPixelFormat (16 bpp), SetEncodings, a key event, then a full update request.
    const setPixelFormat = Buffer.concat([Buffer.from([0, 0, 0, 0]), encodePixelFormat({
      bitsPerPixel: 16, depth: 16, bigEndian: false, trueColour: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0,
    })])
    const setEncodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21])
    const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61])
    const request = Buffer.from([3, 0, 0, 0, 0, 0, 0, 4, 0, 2])
    // Split across writes at odd places: messages are reassembled.
    const all = Buffer.concat([setPixelFormat, setEncodings, key, request])
    server.write(all.subarray(0, 7))
    server.write(all.subarray(7, 30))
    server.write(all.subarray(30))
    const update = await c.next()
    assert.equal(update.readUInt8(0), 0, 'FramebufferUpdate')
    assert.equal(update.readUInt16BE(2), 1, 'one rectangle')
    assert.deepEqual([update.readUInt16BE(8), update.readUInt16BE(10), update.readInt32BE(12)], [4, 2, 0], 'whole screen, raw encoding')
    assert.equal(update.length, 16 + 4 * 2 * 2, 'two bytes a pixel in the client\'s format')

    // An incremental request waits for a change that never comes.
    server.write(Buffer.from([3, 1, 0, 0, 0, 0, 0, 4, 0, 2]))
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(c.chunks.length, 5)
    server.destroy()
  })

  test('a client that is not RFB ends the stream with an error', async () => {
    const server = new FakeRfbServer({ name: 's' })
    server.resume()
    server.write(Buffer.from('GET / HTTP/1.1\r\n'))
    const [error] = await once(server, 'error')
    assert.match((error as Error).message, /not an RFB client/)
  })
})
