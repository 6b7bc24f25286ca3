import fs from 'node:fs'
import type { Command } from 'commander'
import { openSession, type ApiSession } from './api-session.js'
import { isUuidLike } from '../util/uuid.js'

const out = (line = '') => process.stdout.write(`${line}\n`)

interface SessionFlags { cloud?: string; dataDir?: string; json?: boolean }
interface CreateFlags extends SessionFlags {
  script: string; servers?: string; name?: string; tag?: string; status?: string; maxInFlight?: string; timeout?: string
  unrescue?: string; discardOnFailure?: boolean; errorBudget?: string; canary?: string; allProjects?: boolean; wait?: boolean
}

const FINAL = ['succeeded', 'completed', 'failed', 'cancelled']

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new Error(`${flag} takes a whole number, not ${value}`)
  return Number(value)
}

/** `--error-budget 2` (more than two failed stops) or `--error-budget 10%`. */
function errorBudget(value: string | undefined): { count: number } | { percent: number } | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(value)
  if (!match) throw new Error(`--error-budget takes N or N%, not ${value}`)
  return match[2] ? { percent: Number(match[1]) } : { count: integer(match[1], '--error-budget')! }
}

/** Server ids from `--servers a,b,…` (names are looked up; each must name one server). */
async function serverIds(session: ApiSession, list: string): Promise<string[]> {
  const ids: string[] = []
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (isUuidLike(item)) {
      ids.push(item)
      continue
    }
    const found = (await session.call('GET', `/compute/v2.1/servers?name=${encodeURIComponent(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`)).servers as Array<{ id: string }>
    if (found.length !== 1) throw new Error(found.length === 0 ? `no server named ${item}` : `${found.length} servers are named ${item}: give the id`)
    ids.push(found[0]!.id)
  }
  return ids
}

function printRun(run: any): void {
  const counts = Object.entries(run.counts as Record<string, number>).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ')
  out(`rescue run ${run.id}: ${run.state}${run.reason ? ` (${run.reason})` : ''} — ${counts}`)
  out(`  max in flight ${run.max_in_flight}, canary ${run.canary}, unrescue ${run.unrescue}${run.discard_on_failure ? ', discard on failure' : ''}, timeout ${run.timeout} s`)
  for (const s of run.servers ?? []) {
    const exit = s.exit_status === null ? '-' : String(s.exit_status)
    const seconds = s.duration_ms === null ? '' : ` ${(s.duration_ms / 1000).toFixed(1)} s`
    out(`  ${s.server_id}  ${s.state.padEnd(10)} exit ${exit.padEnd(4)}${seconds}${s.reason ? `  ${s.reason}` : ''}`)
    if (s.output && ['failed'].includes(s.state)) for (const line of s.output.trimEnd().split('\n').slice(-5)) out(`      | ${line}`)
  }
}

async function create(flags: CreateFlags): Promise<void> {
  const session = await openSession(flags)
  const script = fs.readFileSync(flags.script === '-' ? 0 : flags.script, 'utf8')
  const servers: Record<string, unknown> = {}
  if (flags.servers) servers.ids = await serverIds(session, flags.servers)
  if (flags.name) servers.name = flags.name
  if (flags.tag) servers.tag = flags.tag
  if (flags.status) servers.status = flags.status
  const body: Record<string, unknown> = {
    script, servers, ...(flags.timeout ? { timeout: integer(flags.timeout, '--timeout') } : {}), ...(flags.unrescue ? { unrescue: flags.unrescue } : {}),
    ...(flags.discardOnFailure ? { discard_on_failure: true } : {}), ...(flags.maxInFlight ? { max_in_flight: integer(flags.maxInFlight, '--max-in-flight') } : {}),
    ...(flags.errorBudget ? { error_budget: errorBudget(flags.errorBudget) } : {}), ...(flags.canary !== undefined ? { canary: integer(flags.canary, '--canary') } : {}),
    ...(flags.allProjects ? { all_projects: true } : {}),
  }
  let run = (await session.call('POST', '/lifeboat/v1/rescue-runs', body)).rescue_run
  if (flags.wait) {
    let last = ''
    while (!FINAL.includes(run.state)) {
      const line = `${run.state}: ${Object.entries(run.counts as Record<string, number>).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')}`
      if (line !== last && !flags.json) process.stderr.write(`${line}\n`)
      last = line
      await new Promise((resolve) => setTimeout(resolve, 1000))
      run = (await session.call('GET', `/lifeboat/v1/rescue-runs/${run.id}`)).rescue_run
    }
  }
  if (flags.json) out(JSON.stringify(run, null, 2))
  else printRun(run)
  if (flags.wait && run.state !== 'succeeded') process.exitCode = 1
}

async function show(id: string, flags: SessionFlags): Promise<void> {
  const run = (await (await openSession(flags)).call('GET', `/lifeboat/v1/rescue-runs/${encodeURIComponent(id)}`)).rescue_run
  if (flags.json) out(JSON.stringify(run, null, 2))
  else printRun(run)
}

async function cancel(id: string, flags: SessionFlags): Promise<void> {
  const run = (await (await openSession(flags)).call('POST', `/lifeboat/v1/rescue-runs/${encodeURIComponent(id)}/cancel`)).rescue_run
  if (flags.json) out(JSON.stringify(run, null, 2))
  else printRun(run)
}

async function list(flags: SessionFlags & { allProjects?: boolean }): Promise<void> {
  const runs = (await (await openSession(flags)).call('GET', `/lifeboat/v1/rescue-runs${flags.allProjects ? '?all_projects=1' : ''}`)).rescue_runs as any[]
  if (flags.json) {
    out(JSON.stringify(runs, null, 2))
    return
  }
  for (const run of runs) out(`${run.id}  ${run.state.padEnd(10)} ${run.created_at}  ${Object.entries(run.counts as Record<string, number>).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')}`)
}

function sessionOptions(command: Command): Command {
  return command
    .option('--json', 'print the answer as JSON')
    .option('--cloud <name>', 'cloud in clouds.yaml (OS_CLOUD, default lifeboat-admin; OS_* variables otherwise)')
    .option('--data-dir <dir>', 'the Lifeboat data folder whose clouds.yaml to use (LIFEBOAT_DATA_DIR, default ./data)')
}

/** Registers `lifeboat rescue-run create|show|list|cancel` (docs/rescue-runs.md). */
export function registerRescueRunCommands(program: Command): void {
  const group = program.command('rescue-run').description('run a repair script in the rescue system of many servers, a few at a time')
  sessionOptions(group.command('create')
    .description('start a rescue run over a set of servers')
    .requiredOption('--script <file>', 'the script to run in the rescue system (- reads stdin)')
    .option('--servers <list>', 'server ids or names, comma-separated')
    .option('--name <regex>', 'servers whose name matches (Nova\'s name filter)')
    .option('--tag <tag>', 'servers with this tag')
    .option('--status <status>', 'servers in this status (ACTIVE, SHUTOFF)')
    .option('--max-in-flight <n>', 'servers rescued at once (default 1)')
    .option('--timeout <seconds>', 'the script\'s timeout (default 600)')
    .option('--unrescue <policy>', 'on-success (default), always or never')
    .option('--discard-on-failure', 'unrescue a failed server with its disk as it was before')
    .option('--error-budget <n|n%>', 'stop when more than this many (or this share) failed')
    .option('--canary <n>', 'servers run first; any failure among them stops the run (default 1)')
    .option('--all-projects', 'admin: take servers of every project')
    .option('--wait', 'wait until the run ends (exit status 1 unless it succeeded)'))
    .action(create)
  sessionOptions(group.command('show <id>').description('a rescue run with each server\'s state and result')).action(show)
  sessionOptions(group.command('list').description('the project\'s rescue runs').option('--all-projects', 'admin: every project\'s')).action(list)
  sessionOptions(group.command('cancel <id>').description('cancel the servers not started; those in flight finish and are unrescued')).action(cancel)
}
