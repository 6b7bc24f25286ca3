import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { readFileSlice } from '../../../../src/virt/qemu/file-slice.js'

test('readFileSlice: the first or last maxBytes of a file, the whole of a smaller one, empty for a missing one', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-file-slice-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'console.log')
  fs.writeFileSync(file, 'abcdefghij')
  assert.equal((await readFileSlice(file, 4, 'start')).toString(), 'abcd')
  assert.equal((await readFileSlice(file, 4, 'end')).toString(), 'ghij')
  assert.equal((await readFileSlice(file, 100, 'start')).toString(), 'abcdefghij')
  assert.equal((await readFileSlice(file, 100, 'end')).toString(), 'abcdefghij')
  assert.equal((await readFileSlice(path.join(dir, 'missing'), 4, 'end')).length, 0)
})
