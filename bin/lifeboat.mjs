#!/usr/bin/env node
// The `lifeboat` command: the compiled build in dist/, made by `npm ci` (the
// `prepare` script) or here when dist/ is missing or older than src/.
import { ensureBuilt } from '../scripts/build.mjs'

await ensureBuilt()
const { main } = await import('../dist/cli/main.js')
await main(process.argv)
