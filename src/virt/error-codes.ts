import { errorCatalogue, type CodeOf } from '../util/error-code.js'

/**
 * The virt layer's catalogue of `DriverError` codes (QEMU, QMP, the fake).
 * The texts never change: logs and tests match on them.
 */
export const DriverErrorCode = errorCatalogue({
  /** The default: a driver failure with nothing more specific to say. */
  DRIVER_ERROR: 'LB_DRIVER_ERROR',
  DOMAIN_NOT_FOUND: 'LB_DOMAIN_NOT_FOUND',
  DOMAIN_NOT_RUNNING: 'LB_DOMAIN_NOT_RUNNING',
  ALREADY_RESCUED: 'LB_ALREADY_RESCUED',
  NO_ROOT: 'LB_NO_ROOT',
  BAD_SPEC: 'LB_BAD_SPEC',
  VOLUME_MISSING: 'LB_VOLUME_MISSING',
  NO_FREE_ADDRESS: 'LB_NO_FREE_ADDRESS',
  HOTPLUG_UNSUPPORTED: 'LB_HOTPLUG_UNSUPPORTED',
  DETACH_TIMEOUT: 'LB_DETACH_TIMEOUT',
  SUSPEND_FAILED: 'LB_SUSPEND_FAILED',
  RESUME_FAILED: 'LB_RESUME_FAILED',
  QEMU_MISSING: 'LB_QEMU_MISSING',
  QEMU_START_FAILED: 'LB_QEMU_START_FAILED',
  COMMAND_FAILED: 'LB_COMMAND_FAILED',
  QMP_ERROR: 'LB_QMP_ERROR',
  QMP_CLOSED: 'LB_QMP_CLOSED',
  QMP_TIMEOUT: 'LB_QMP_TIMEOUT',
  QMP_UNREACHABLE: 'LB_QMP_UNREACHABLE',
  /** A port forward (floating IP) could not listen: its host address and port are taken. */
  HOST_PORT_BUSY: 'LB_HOST_PORT_BUSY',
  /** `openConsole` on a guest that does not run. */
  CONSOLE_NOT_RUNNING: 'LB_CONSOLE_NOT_RUNNING',
  /** The driver has no console of the kind asked for. */
  CONSOLE_UNSUPPORTED: 'LB_CONSOLE_UNSUPPORTED',
  /** A live migration's block mirrors or RAM transfer failed, or was cancelled. */
  LIVE_MIGRATION_FAILED: 'LB_LIVE_MIGRATION_FAILED',
  /** The fake driver failing an operation on purpose (tests). */
  FAKE_FAILURE: 'LB_FAKE_FAILURE',
})

/** Any code of the virt catalogue. */
export type DriverErrorCode = CodeOf<typeof DriverErrorCode>
