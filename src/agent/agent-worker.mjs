// The embedded compute agent's thread when Lifeboat runs from its TypeScript
// sources (tests, bench): tsx first. The compiled build starts agent-worker-main.js.
import { register } from 'tsx/esm/api'

register()
await import('./agent-worker-main.ts')
