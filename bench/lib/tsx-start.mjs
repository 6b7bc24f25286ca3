// The `lifeboat` command as it started before the compiled build (issue 11):
// the TypeScript sources through tsx. The rest bench's "before" figure.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../../src/cli/main.ts')
await main(process.argv)
