import fs from 'node:fs'

/**
 * Up to `maxBytes` of a file the guest writes (a console log, a serial
 * channel), from its start or its end; empty while the file is missing.
 * The guest decides how big it grows, so it is never read whole.
 */
export async function readFileSlice(file: string, maxBytes: number, from: 'start' | 'end'): Promise<Buffer> {
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, 'r')
  } catch {
    return Buffer.alloc(0)
  }
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, from === 'start' ? 0 : size - length)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}
