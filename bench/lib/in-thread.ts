import { Worker } from 'node:worker_threads'

/**
 * Runs `module`'s export `name` with `input` in its own thread and resolves
 * with what it returns: load generators run beside the server under test
 * (as real clients would, elsewhere) instead of sharing its event loop.
 */
export function runInThread<I, O>(module: URL, name: string, input: I): Promise<O> {
  const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), { workerData: { module: module.href, name, input } })
  return new Promise<O>((resolve, reject) => {
    worker.once('message', (message: { ok: true; value: O } | { ok: false; message: string }) => {
      void worker.terminate()
      if (message.ok) resolve(message.value)
      else reject(new Error(message.message))
    })
    worker.once('error', reject)
  })
}
