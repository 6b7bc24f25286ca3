// Runs one exported function of a bench module in a worker thread (TypeScript through tsx).
import { register } from 'tsx/esm/api'
import { parentPort, workerData } from 'node:worker_threads'

register()
const module = await import(workerData.module)
try {
  parentPort.postMessage({ ok: true, value: await module[workerData.name](workerData.input) })
} catch (error) {
  parentPort.postMessage({ ok: false, message: error instanceof Error ? error.stack ?? error.message : String(error) })
}
