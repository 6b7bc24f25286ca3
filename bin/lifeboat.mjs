#!/usr/bin/env -S node --max-semi-space-size=1
// The `lifeboat` command: the compiled build in dist/, made by `npm ci` (the
// `prepare` script) or here when dist/ is missing or older than src/.
// --max-semi-space-size=1 (here and in `npm start`): V8's young generation
// otherwise grows to tens of MiB during start-up and stays; the all-in-one at
// rest keeps ~30 MiB less resident for a few more (cheap) scavenges.
import { ensureBuilt } from '../scripts/build.mjs'

await ensureBuilt()
const { main } = await import('../dist/cli/main.js')
await main(process.argv)
