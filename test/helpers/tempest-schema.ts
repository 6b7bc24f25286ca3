import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { skipUnless } from './tiers.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'validate_tempest_schema.py')

function probeTempest(): boolean {
  if (!fs.existsSync(PYTHON)) return false
  return spawnSync(PYTHON, ['-c', 'import tempest.lib.common.rest_client'], { stdio: 'ignore' }).status === 0
}

/** True when Debian's python3-tempest is importable by /usr/bin/python3. */
export const TEMPEST_AVAILABLE = probeTempest()

/** The `skip` option for tests that check Tempest's schemas (fails instead under LIFEBOAT_REQUIRE_ALL=1). */
export function skipWithoutTempest(): string | false {
  return skipUnless(TEMPEST_AVAILABLE, "Tempest's response schemas (python3-tempest)", 'apt-get install python3-tempest')
}

/**
 * Validates a response exactly as Tempest's RestClient.validate_response does,
 * e.g. `assertMatchesTempestSchema('tempest.lib.api_schema.response.compute.v2_55.flavors:list_flavors', 200, body)`.
 * Throws an Error with jsonschema's explanation when the status or body does not match.
 */
export function assertMatchesTempestSchema(ref: string, status: number, body: unknown): void {
  const input = body === undefined || body === '' ? '' : JSON.stringify(body)
  const result = spawnSync(PYTHON, [SCRIPT, ref, String(status)], { input, encoding: 'utf8' })
  if (result.status !== 0) {
    throw new Error(`response does not match ${ref} (status ${status}):\n${result.stderr || result.error}\nbody: ${input.slice(0, 4000)}`)
  }
}

/** One response to check: the schema reference, the status and the parsed body ('' or undefined when empty). */
export interface TempestCheck {
  ref: string
  status: number
  body: unknown
}

/** Validates several responses in one Python process (much faster than one call each); reports every mismatch. */
export function assertAllMatchTempestSchemas(checks: TempestCheck[]): void {
  const input = JSON.stringify(checks.map((c) => ({ ref: c.ref, status: c.status, body: c.body === undefined || c.body === '' ? null : c.body })))
  const result = spawnSync(PYTHON, [SCRIPT, '--batch'], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`responses do not match Tempest's schemas:\n${result.stderr || result.error}`)
}
