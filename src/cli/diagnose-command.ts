import type { Command } from 'commander'
import { findCredentials } from '../virt/qemu/guest-image/upload-images.js'
import { keystoneLogin } from '../util/keystone-login.js'
import { isUuidLike } from '../util/uuid.js'

const out = (line = '') => process.stdout.write(`${line}\n`)

interface DiagnoseFlags { cloud?: string; dataDir?: string; script?: string; json?: boolean }

interface FindingBody {
  rule: string; title: string; severity: string; explanation: string
  lines: Array<{ number: number; text: string }>; line_count: number; captures: Record<string, string[]>; repair_script: string
}

/** The cloud's base URL (Lifeboat serves every API on one listener): the compute endpoint without its `/compute…` path. */
function baseOf(catalog: unknown[]): string {
  const compute = (catalog as Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }>).find((e) => e.type === 'compute')
  const url = compute?.endpoints.find((e) => e.interface === 'public')?.url
  if (!url) throw new Error('the catalog has no public compute endpoint')
  return url.replace(/\/compute(\/.*)?$/, '')
}

async function getJson(url: string, token: string): Promise<any> {
  const res = await fetch(url, { headers: { 'x-auth-token': token, accept: 'application/json' } })
  const body = await res.json().catch(() => null) as any
  if (!res.ok) throw new Error(`${res.status}: ${(body && Object.values(body as object)[0] as { message?: string })?.message ?? res.statusText}`)
  return body
}

/**
 * `lifeboat diagnose SERVER`: reads the server's console log through
 * `GET /lifeboat/v1/servers/{id}/diagnosis` and prints each finding with its
 * lines; `--script RULE` prints that finding's repair script alone (for a
 * rescue run), `--json` the whole answer.
 */
async function diagnose(server: string, flags: DiagnoseFlags): Promise<void> {
  const credentials = findCredentials({ cloud: flags.cloud, dataDir: flags.dataDir ?? process.env.LIFEBOAT_DATA_DIR ?? 'data' })
  const { token, body } = await keystoneLogin(credentials.authUrl, {
    userName: credentials.username, password: credentials.password, projectName: credentials.projectName,
    userDomain: { name: credentials.userDomainName }, projectDomain: { name: credentials.projectDomainName },
  })
  const base = baseOf(body.token.catalog ?? [])
  let id = server
  if (!isUuidLike(server)) {
    const found = (await getJson(`${base}/compute/v2.1/servers?name=${encodeURIComponent(`^${server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`, token)).servers as Array<{ id: string }>
    if (found.length !== 1) throw new Error(found.length === 0 ? `no server named ${server}` : `${found.length} servers are named ${server}: give the id`)
    id = found[0]!.id
  }
  const { diagnosis } = await getJson(`${base}/lifeboat/v1/servers/${encodeURIComponent(id)}/diagnosis`, token) as { diagnosis: { findings: FindingBody[]; console_lines: number } }
  if (flags.json) {
    out(JSON.stringify(diagnosis, null, 2))
    return
  }
  if (flags.script) {
    const finding = diagnosis.findings.find((f) => f.rule === flags.script)
    if (!finding) throw new Error(`no finding ${flags.script} for ${server} (found: ${diagnosis.findings.map((f) => f.rule).join(', ') || 'none'})`)
    process.stdout.write(finding.repair_script)
    return
  }
  if (diagnosis.findings.length === 0) {
    out(`${server}: no known failure in ${diagnosis.console_lines} console lines`)
    return
  }
  for (const f of diagnosis.findings) {
    out(`[${f.severity}] ${f.rule}: ${f.title}`)
    for (const line of f.lines) out(`  ${String(line.number).padStart(5)} | ${line.text}`)
    if (f.line_count > f.lines.length) out(`        (${f.line_count - f.lines.length} more lines)`)
    for (const text of f.explanation.split('\n')) out(`  ${text}`)
    out(`  repair script: lifeboat diagnose ${server} --script ${f.rule}`)
    out()
  }
}

/** Registers `lifeboat diagnose`. */
export function registerDiagnoseCommand(program: Command): void {
  program.command('diagnose <server>')
    .description('name known boot failures in a server\'s console log, with the lines that show them and a repair script for a rescue run')
    .option('--script <rule>', 'print only the repair script of that finding')
    .option('--json', 'print the whole diagnosis as JSON')
    .option('--cloud <name>', 'cloud in clouds.yaml (OS_CLOUD, default lifeboat-admin; OS_* variables otherwise)')
    .option('--data-dir <dir>', 'the Lifeboat data folder whose clouds.yaml to use (LIFEBOAT_DATA_DIR, default ./data)')
    .action(diagnose)
}
