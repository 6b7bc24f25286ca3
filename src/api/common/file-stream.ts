import fs from 'node:fs'

/**
 * Opens a file to stream as a response body, or null when it can't be read.
 * Opening first turns a missing file into an answer the route chooses; a
 * stream that fails after the headers went out can only drop the connection.
 */
export async function openFileStream(file: string): Promise<fs.ReadStream | null> {
  try {
    const handle = await fs.promises.open(file, 'r')
    return handle.createReadStream()
  } catch {
    return null
  }
}
