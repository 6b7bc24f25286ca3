import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeFailure, taskFailureMessage } from '../../../src/agent/manager/task-failures.js'
import { RescueError } from '../../../src/agent/manager/rescue-instance.js'
import { DriverError } from '../../../src/virt/virt-driver.js'
import { DriverErrorCode } from '../../../src/virt/error-codes.js'
import { AgentErrorCode } from '../../../src/agent/error-codes.js'

test('a driver error with a command line, path and stderr reaches users as a code and a short reason; the full error is kept as detail', () => {
  const raw = 'qemu-img convert -O qcow2 /var/lib/lifeboat/agent/qemu/domains/x/disk.qcow2 exited with 1: qemu-img: Could not open \'/var/lib/lifeboat/images/abc\''
  const failure = describeFailure(new DriverError(raw, { code: DriverErrorCode.COMMAND_FAILED }))
  assert.equal(failure.code, 'LB_COMMAND_FAILED')
  assert.equal(failure.detail, raw)
  assert.equal(taskFailureMessage('rescue', failure), 'Rescue failed: the hypervisor could not complete the operation (LB_COMMAND_FAILED)')
  assert.doesNotMatch(failure.reason, /\/|qemu-img/)
})

test('an error with no code is a generic reason (never its message); a rescue\'s own message is written for users and shown', () => {
  const unknown = describeFailure(new Error('ENOENT: no such file or directory, open \'/tmp/secret-path\''))
  assert.equal(unknown.code, 'LB_TASK_FAILED')
  assert.equal(taskFailureMessage('spawn', unknown), 'Build failed: an unexpected error occurred on the compute host (LB_TASK_FAILED)')
  const rescue = describeFailure(new RescueError('rescue image 1234 is no longer available (status killed)', AgentErrorCode.RESCUE_IMAGE_UNAVAILABLE))
  assert.equal(rescue.reason, 'rescue image 1234 is no longer available (status killed) (LB_RESCUE_IMAGE_UNAVAILABLE)')
  assert.equal(describeFailure('a string').detail, 'a string')
})
