import net from 'node:net'
import { startTestCloud } from './helpers/cloud.js'
import { createImage } from './helpers/compute.js'
const c = await startTestCloud('sqlite', {}, { logger: { level: 'error' } })
const img = await createImage(c.admin)
const cred = await c.running.services.agents.issueCredential('fuzz-host')
const u = new URL(c.url)
function raw(text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write(text))
    let out = ''
    s.on('data', (d) => (out += d))
    s.on('close', () => resolve(out))
    setTimeout(() => s.destroy(), 1500)
  })
}
const b = '{"__proto__": {"x": 1}}'
console.log(JSON.stringify(await raw(`DELETE /image/v2/images/${img} HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-auth-token: ${c.admin.token}\r\nopenstack-api-version: image abc\r\ncontent-type: application/json\r\ncontent-length: ${b.length}\r\n\r\n${b}`)))
console.log(JSON.stringify(await raw(`DELETE /image/v2/images/${img} HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-auth-token: ${c.demo.token}\r\nopenstack-api-version: image abc\r\ncontent-type: application/json\r\ncontent-length: ${b.length}\r\n\r\n${b}`)))
await c.close()
