import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { findViolations, ruleBroken } from '../../../scripts/check-imports.mjs'

const pairs = (sources: Record<string, string>) => findViolations(sources).map((v) => `${v.from} -> ${v.to}`)

describe('import-rule check', () => {
  test('the agent and the drivers import neither services nor the API', () => {
    assert.deepEqual(pairs({
      'agent/a.ts': "import { x } from '../services/compute/x.js'\nimport type { Y } from '../api/y.js'",
      'agent/manager/b.ts': "export { z } from '../../services/z.js'",
      'virt/qemu/c.ts': "const m = await import('../../api/app.js')",
      'virt/d.ts': "import { Task } from '../agent-api/tasks.js'\nimport { e } from './fake/e.js'",
    }), [
      'agent/a.ts -> api/y.ts',
      'agent/a.ts -> services/compute/x.ts',
      'agent/manager/b.ts -> services/z.ts',
      'virt/qemu/c.ts -> api/app.ts',
    ])
  })

  test('services import neither the API nor the agent; the API reaches no database', () => {
    assert.deepEqual(pairs({
      'services/s.ts': "import type { A } from '../agent/agent-protocol.js'\nimport { r } from '../api/common/r.js'\nimport { db } from '../db/database.js'",
      'api/compute/routes.ts': "import type { Db } from '../../db/database.js'\nimport { sql } from 'kysely'\nimport { s } from '../../services/s.js'",
      'api/context.ts': "import type { Services } from '../services/services.js'",
    }), [
      'api/compute/routes.ts -> db/database.ts',
      'api/compute/routes.ts -> kysely',
      'services/s.ts -> agent/agent-protocol.ts',
      'services/s.ts -> api/common/r.ts',
    ])
  })

  test('everything else is allowed: same layer, leaf modules, files at the top, packages', () => {
    assert.deepEqual(pairs({
      'server.ts': "import { buildApp } from './api/app.js'\nimport { openDatabase } from './db/database.js'\nimport { launch } from './agent/embedded-agent.js'",
      'cli/main.ts': "import { startLifeboat } from '../server.js'",
      'agent/x.ts': "import { y } from './y.js'\nimport { createDriver } from '../virt/driver-factory.js'\nimport pino from 'pino'\nimport fs from 'node:fs'",
      'services/x.ts': "import { sql } from 'kysely'\nimport type { Db } from '../db/database.js'",
    }), [])
  })

  test('ruleBroken names the rule', () => {
    assert.equal(ruleBroken('agent/a.ts', 'services/b.ts'), 'src/agent/ must not import src/services/')
    assert.equal(ruleBroken('api/a.ts', 'db/b.ts'), 'src/api/ must not import src/db/')
    assert.equal(ruleBroken('api/a.ts', 'services/b.ts'), null)
    assert.equal(ruleBroken('agent-api/a.ts', 'services/b.ts'), 'src/agent-api/ must not import src/services/')
    assert.equal(ruleBroken('util/a.ts', 'virt/b.ts'), 'src/util/ must not import src/virt/')
    assert.equal(ruleBroken('agent/a.ts', 'agent-api/b.ts'), null)
    assert.equal(ruleBroken('virt/a.ts', 'util/b.ts'), null)
  })
})
