// The embedded compute agent's thread: TypeScript through tsx, like bin/lifeboat.mjs.
import { register } from 'tsx/esm/api'

register()
await import('./agent-worker-main.ts')
