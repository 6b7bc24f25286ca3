import { errorCatalogue, type CodeOf } from '../util/error-code.js'

/**
 * The agent's catalogue of error codes (its calls to the control plane, the
 * tasks it runs). The texts never change: logs and tests match on them.
 */
export const AgentErrorCode = errorCatalogue({
  /** The control plane answered a call of the agent with a non-2xx status. */
  AGENT_API_ERROR: 'LB_AGENT_API_ERROR',
  /** The rescue image decided at acceptance can no longer be booted. */
  RESCUE_IMAGE_UNAVAILABLE: 'LB_RESCUE_IMAGE_UNAVAILABLE',
  /** A task reached the wrong handler (a bug, never a client's doing). */
  WRONG_TASK: 'LB_WRONG_TASK',
  /** What a task names is gone (the volume to attach or detach). */
  TASK_INVALID: 'LB_TASK_INVALID',
  /** A task failed with an error that carries no code of its own. */
  TASK_FAILED: 'LB_TASK_FAILED',
})

/** Any code of the agent catalogue. */
export type AgentErrorCode = CodeOf<typeof AgentErrorCode>
