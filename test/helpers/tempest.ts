import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Session, TestCloud } from './cloud.js'
import { skipUnless } from './tiers.js'

const execFileAsync = promisify(execFile)

/** Debian's `tempest` (python3-tempest), which runs on /usr/bin/python3. */
export const TEMPEST_BIN = '/usr/bin/tempest'

/** The `skip` option for Tempest suites: what to install when Tempest or qemu-img is absent. */
export function skipWithoutTempest(): string | false {
  const hasQemuImg = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'].some((p) => fs.existsSync(p))
  return skipUnless(fs.existsSync(TEMPEST_BIN), 'Tempest', 'apt-get install python3-tempest')
    || skipUnless(hasQemuImg, 'qemu-img', 'apt-get install qemu-utils')
}

/** One test as subunit-trace reported it (class-level set-up failures and skips included). */
export interface TempestTest {
  /** Dotted test id without the `[id-…]` tags, or `setUpClass (…)` for a class. */
  name: string
  status: 'ok' | 'FAILED' | 'SKIPPED'
  detail: string
}

/** The `Totals` block of a `tempest run`. */
export interface TempestTotals {
  ran: number
  passed: number
  skipped: number
  failed: number
  seconds: number
}

export interface TempestRun {
  code: number
  output: string
  tests: TempestTest[]
  totals: TempestTotals
  /** `Ran: N tests in S sec. - Passed: P - Skipped: K - Failed: F`, as one line. */
  summaryLine: string
  wallSeconds: number
}

/**
 * Prints a run's summary line under `label`; when a test failed or Tempest
 * exited non-zero, also the output's tail and where the logs were kept.
 * Returns the names of the failed tests.
 */
export function reportTempestRun(label: string, run: TempestRun, workspace: TempestWorkspace, lifeboatLogDir: string): string[] {
  console.log(`${label}: ${run.summaryLine} (wall ${run.wallSeconds.toFixed(1)} s)`)
  const failed = run.tests.filter((t) => t.status === 'FAILED').map((t) => t.name)
  if (failed.length > 0 || run.code !== 0) {
    console.log(run.output.slice(-20_000))
    console.log(`kept: Tempest workspace ${workspace.dir} (log ${workspace.logPath}), Lifeboat log ${lifeboatLogDir}/lifeboat.log`)
  }
  return failed
}

/** A Tempest workspace configured for one test cloud. */
export interface TempestWorkspace {
  dir: string
  confPath: string
  /** Tempest's own log (every HTTP request and response it made). */
  logPath: string
  imageRef: string
  imageRefAlt: string
  /** `concurrency`: at most that many workers (default: one per account; 1 is `--serial`). */
  run(regex: string, timeoutMs?: number, concurrency?: number): Promise<TempestRun>
  /** Deletes the workspace (kept when LIFEBOAT_TEMPEST_KEEP=1). */
  remove(): void
}

export interface TempestWorkspaceOptions {
  /** `[compute] max_microversion`. */
  maxMicroversion: string
  /** Extra `[section] key = value` lines, appended as is. */
  extraConfig?: string
  /** `build_timeout` of [compute] and [volume] in seconds (default 60; real guests boot slower). */
  buildTimeout?: number
  /** A bootable image file for `image_ref` and `image_ref_alt` (real guests); default: a blank 1 MiB raw file. */
  imageFile?: { path: string; diskFormat: 'qcow2' | 'raw' }
  /**
   * `[service_available] neutron = true`: the account's project gets its own network
   * (named in accounts.yaml `resources: network:`), subnet and router to `public`, and
   * [network] / [network-feature-enabled] are filled from the network API.
   */
  neutron?: boolean
  /**
   * Tempest workers (default 1, `--serial`). Each gets its own pre-provisioned account
   * (and, with neutron, its own project network): Tempest's network tests mostly wait in
   * fixed sleeps (its subnets client sleeps 10 s before every delete), so workers overlap them.
   */
  workers?: number
  /**
   * An admin account too (`tempest-admin`, member and admin of its own project, `roles: [admin]`
   * in accounts.yaml): the admin API tests' `os_admin` (without it they skip, "Missing Identity
   * Admin API credentials in configuration").
   */
  admin?: boolean
}

/** The account's network resources (neutron = true), in Tempest's project-network range. */
const TEMPEST_NETWORK = { name: 'tempest-net', router: 'tempest-router' }
/** `[network] project_network_cidr`: where Tempest's network tests carve their subnets from. */
const PROJECT_NETWORK_CIDR = '10.110.0.0/16'

async function ok<T = any>(session: Session, method: string, urlPath: string, body?: unknown, expected = [200, 201, 204]): Promise<T> {
  const response = await session.request(method, urlPath, body === undefined ? {} : { body })
  if (!expected.includes(response.status)) throw new Error(`${method} ${urlPath}: ${response.status} ${response.text}`)
  return response.body as T
}

/** Creates a project and a member user (with `extraRoles` too) through the identity API, as Tempest's pre-provisioned account. */
async function provisionAccount(admin: Session, name: string, password: string, extraRoles: string[] = []): Promise<string> {
  const project = (await ok(admin, 'POST', '/identity/v3/projects', { project: { name, domain_id: 'default' } })).project
  const user = (await ok(admin, 'POST', '/identity/v3/users', {
    user: { name, password, domain_id: 'default', default_project_id: project.id },
  })).user
  for (const roleName of ['member', ...extraRoles]) {
    const roles = (await ok(admin, 'GET', `/identity/v3/roles?name=${roleName}`)).roles
    if (roles.length !== 1) throw new Error(`no ${roleName} role`)
    await ok(admin, 'PUT', `/identity/v3/projects/${project.id}/users/${user.id}/roles/${roles[0].id}`)
  }
  return project.id
}

/**
 * The account's own network, subnet and router (gateway on `public`), made by the admin
 * for the project; returns what tempest.conf's [network] sections need.
 */
async function provisionNetwork(admin: Session, projectId: string, cidr: string): Promise<{ publicNetworkId: string; extensions: string[] }> {
  const publics = (await ok(admin, 'GET', '/network/v2.0/networks?name=public')).networks
  if (publics.length !== 1) throw new Error('no public network')
  const publicNetworkId: string = publics[0].id
  const network = (await ok(admin, 'POST', '/network/v2.0/networks', { network: { name: TEMPEST_NETWORK.name, project_id: projectId } })).network
  const subnet = (await ok(admin, 'POST', '/network/v2.0/subnets', {
    subnet: { name: `${TEMPEST_NETWORK.name}-subnet`, network_id: network.id, cidr, ip_version: 4, project_id: projectId },
  })).subnet
  const router = (await ok(admin, 'POST', '/network/v2.0/routers', {
    router: { name: TEMPEST_NETWORK.router, project_id: projectId, external_gateway_info: { network_id: publicNetworkId } },
  })).router
  await ok(admin, 'PUT', `/network/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id })
  const extensions: string[] = (await ok(admin, 'GET', '/network/v2.0/extensions')).extensions.map((e: { alias: string }) => e.alias)
  return { publicNetworkId, extensions }
}

/** The [network] sections of a neutron = true run. */
function networkConf(net: { publicNetworkId: string; extensions: string[] }): string {
  return `[network]
public_network_id = ${net.publicNetworkId}
floating_network_name = public
project_network_cidr = ${PROJECT_NETWORK_CIDR}
project_network_mask_bits = 28
build_timeout = 60
build_interval = 1
[network-feature-enabled]
api_extensions = ${net.extensions.join(',')}
ipv6 = false
floating_ips = true
`
}

/** Uploads a public image (`imageFile`, or a small raw file made with `qemu-img create`), returns its id. */
async function uploadImage(admin: Session, dir: string, name: string, imageFile?: TempestWorkspaceOptions['imageFile']): Promise<string> {
  const file = path.join(dir, `${name}.raw`)
  if (imageFile) fs.copyFileSync(imageFile.path, file)
  else execFileSync('qemu-img', ['create', '-f', 'raw', file, '1M'], { stdio: 'ignore' })
  const image = await ok(admin, 'POST', '/image/v2/images', {
    name, disk_format: imageFile?.diskFormat ?? 'raw', container_format: 'bare', visibility: 'public',
  })
  const upload = await admin.request('PUT', `/image/v2/images/${image.id}/file`, {
    rawBody: new Uint8Array(fs.readFileSync(file)), contentType: 'application/octet-stream',
  })
  if (upload.status !== 204) throw new Error(`image upload: ${upload.status} ${upload.text}`)
  fs.rmSync(file)
  return image.id
}

/** Flavor ids for `flavor_ref` and `flavor_ref_alt`: Nova's default '1' and '42' when present, else the first two. */
async function pickFlavors(admin: Session): Promise<[string, string]> {
  const response = await admin.request('GET', '/compute/v2.1/flavors')
  const ids: string[] = response.status === 200 ? response.body.flavors.map((f: { id: string }) => f.id) : []
  const preferred = ['1', '42'].filter((id) => ids.includes(id))
  const chosen = [...preferred, ...ids.filter((id) => !preferred.includes(id))]
  return [chosen[0] ?? '1', chosen[1] ?? chosen[0] ?? '42']
}

/** The minimal tempest.conf from docs/clients.md (Debian's generated one breaks a cloud without Neutron). */
function tempestConf(ws: string, url: string, refs: Record<string, string>, options: TempestWorkspaceOptions, network?: string): string {
  return `[DEFAULT]
log_dir = ${ws}/logs
log_file = tempest.log
[oslo_concurrency]
lock_path = ${ws}/tempest_lock
[auth]
use_dynamic_credentials = false
test_accounts_file = ${ws}/etc/accounts.yaml
default_credentials_domain_name = Default
[identity]
auth_version = v3
uri_v3 = ${url}/identity/v3
region = RegionOne
[service_available]
nova = true
glance = true
cinder = true
neutron = ${options.neutron ? 'true' : 'false'}
swift = false
[compute]
image_ref = ${refs.image}
image_ref_alt = ${refs.imageAlt}
flavor_ref = ${refs.flavor}
flavor_ref_alt = ${refs.flavorAlt}
fixed_network_name = ${options.neutron ? TEMPEST_NETWORK.name : ''}
max_microversion = ${options.maxMicroversion}
build_timeout = ${options.buildTimeout ?? 60}
build_interval = 1
[compute-feature-enabled]
rescue = true
stable_rescue = true
[validation]
run_validation = false
[volume]
volume_size = 1
build_timeout = ${options.buildTimeout ?? 60}
${network ?? ''}${options.extraConfig ?? ''}
`
}

/**
 * Parses subunit-trace's console output: one line per test
 * (`{0} name[tags] [1.2s] ... ok|FAILED|SKIPPED: why`) and the Totals block.
 */
export function parseTempestOutput(output: string): { tests: TempestTest[]; totals: TempestTotals } {
  const tests: TempestTest[] = []
  for (const line of output.split('\n')) {
    const match = /^\{\d+\} (.+?)(?:\[[^\]]*\])?(?: \[[\d.]+s\])? \.\.\. (ok|FAILED|SKIPPED)(?::\s*(.*))?$/.exec(line.trim())
    if (match) tests.push({ name: match[1]!, status: match[2] as TempestTest['status'], detail: match[3] ?? '' })
  }
  const number = (label: string): number => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(output)?.[1] ?? NaN)
  const ranMatch = /Ran: (\d+) tests? in ([\d.]+) sec/.exec(output)
  return {
    tests,
    totals: {
      ran: Number(ranMatch?.[1] ?? NaN),
      seconds: Number(ranMatch?.[2] ?? NaN),
      passed: number(' - Passed'),
      skipped: number(' - Skipped'),
      failed: number(' - Failed'),
    },
  }
}

/**
 * `tempest init` in a temporary directory, then a configuration for `cloud`:
 * a pre-provisioned member account made through the identity API, two public
 * images uploaded through the image API, flavors from the compute API.
 */
export async function createTempestWorkspace(cloud: TestCloud, options: TempestWorkspaceOptions): Promise<TempestWorkspace> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tempest-'))
  const ws = path.join(root, 'ws')
  // HOME inside the temp dir: `tempest init` registers workspaces in ~/.tempest.
  const env = { PATH: '/usr/bin:/bin', HOME: root, LANG: 'C.UTF-8' }
  execFileSync(TEMPEST_BIN, ['init', ws], { env, stdio: 'ignore' })

  const password = 'tempest-rescue-pw'
  const workers = Math.max(1, options.workers ?? 1)
  const accounts: string[] = []
  let network: string | undefined
  for (let i = 1; i <= workers; i++) {
    const name = i === 1 ? 'tempest-rescue' : `tempest-rescue-${i}`
    const projectId = await provisionAccount(cloud.admin, name, password)
    // Every project sees only its own `tempest-net`, so one name serves every account; and
    // they share one CIDR, as projects may (Neutron's allow_overlapping_ips): 10.100.0.0/24.
    if (options.neutron) network = networkConf(await provisionNetwork(cloud.admin, projectId, '10.100.0.0/24'))
    accounts.push(
      `- username: ${name}`,
      `  project_name: ${name}`,
      `  password: ${password}`,
      '  user_domain_name: Default',
      '  project_domain_name: Default',
      ...(options.neutron ? ['  resources:', `    network: ${TEMPEST_NETWORK.name}`] : []),
    )
  }
  if (options.admin) {
    await provisionAccount(cloud.admin, 'tempest-admin', password, ['admin'])
    accounts.push('- username: tempest-admin', '  project_name: tempest-admin', `  password: ${password}`,
      '  user_domain_name: Default', '  project_domain_name: Default', '  roles:', '    - admin')
  }
  const image = await uploadImage(cloud.admin, root, 'tempest-image', options.imageFile)
  const imageAlt = await uploadImage(cloud.admin, root, 'tempest-image-alt', options.imageFile)
  const [flavor, flavorAlt] = await pickFlavors(cloud.admin)

  const confPath = path.join(ws, 'etc', 'tempest.conf')
  fs.writeFileSync(confPath, tempestConf(ws, cloud.url, { image, imageAlt, flavor, flavorAlt }, options, network))
  fs.writeFileSync(path.join(ws, 'etc', 'accounts.yaml'), [...accounts, ''].join('\n'))

  return {
    dir: ws,
    confPath,
    logPath: path.join(ws, 'logs', 'tempest.log'),
    imageRef: image,
    imageRefAlt: imageAlt,
    async run(regex, timeoutMs = 15 * 60_000, concurrency = workers) {
      const count = Math.min(workers, Math.max(1, concurrency))
      const mode = count > 1 ? ['--concurrency', String(count)] : ['--serial']
      const started = Date.now()
      let code = 0
      let output: string
      try {
        const result = await execFileAsync(TEMPEST_BIN, ['run', ...mode, '--regex', regex], { cwd: ws, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 })
        output = result.stdout + result.stderr
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string }
        code = typeof e.code === 'number' ? e.code : 1
        output = (e.stdout ?? '') + (e.stderr ?? String(error))
      }
      const { tests, totals } = parseTempestOutput(output)
      const summaryLine = `Ran: ${totals.ran} tests in ${totals.seconds} sec. - Passed: ${totals.passed} - Skipped: ${totals.skipped} - Failed: ${totals.failed}`
      return { code, output, tests, totals, summaryLine, wallSeconds: (Date.now() - started) / 1000 }
    },
    remove() {
      if (process.env.LIFEBOAT_TEMPEST_KEEP === '1') return
      fs.rmSync(root, { recursive: true, force: true })
    },
  }
}
