import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { TestCloud } from './cloud.js'
import { skipUnless } from './tiers.js'

const execFileAsync = promisify(execFile)

/** Debian's `openstack` runs on /usr/bin/python3 (the first python3 on PATH may lack Debian's packages). */
export const OPENSTACK_BIN = '/usr/bin/openstack'

/** The `skip` option for client-tier suites: what to install when the CLI is absent. */
export function skipWithoutOpenstackCli(): string | false {
  return skipUnless(fs.existsSync(OPENSTACK_BIN), 'The openstack CLI', 'apt-get install python3-openstackclient python3-osc-placement')
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `openstack --os-cloud <cloud> …args` against a test cloud, through the
 * clouds.yaml that Lifeboat wrote (an empty cloud name: credentials from `extraEnv`'s OS_* variables). Never throws on a non-zero exit: check `code`.
 */
export async function openstack(cloud: TestCloud, cloudName: 'lifeboat-admin' | 'lifeboat-demo' | string, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: path.dirname(cloud.running.cloudsYamlPath),
    OS_CLIENT_CONFIG_FILE: cloud.running.cloudsYamlPath,
    ...extraEnv,
  }
  try {
    const cloudArgs = cloudName === '' ? [] : ['--os-cloud', cloudName]
    const { stdout, stderr } = await execFileAsync(OPENSTACK_BIN, [...cloudArgs, ...args], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) }
  }
}

/** Runs a CLI command with `-f json` and parses its output; fails the test on a non-zero exit. */
export async function openstackJson<T = any>(cloud: TestCloud, cloudName: string, args: string[], extraEnv: Record<string, string> = {}): Promise<T> {
  const result = await openstack(cloud, cloudName, [...args, '-f', 'json'], extraEnv)
  if (result.code !== 0) throw new Error(`openstack ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}
