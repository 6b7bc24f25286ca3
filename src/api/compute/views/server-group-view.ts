import type { ServerGroupRecord, ServerGroupRules } from '../../../services/compute/server-group-service.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'

/** A server group as the API shows it (the properties present depend on the microversion). */
export interface ServerGroupView {
  id: string
  name: string
  policies?: string[]
  metadata?: Record<string, never>
  policy?: string
  rules?: ServerGroupRules
  members: string[]
  project_id?: string
  user_id?: string
}

/**
 * Nova's `_format_server_group`: `policies` and an always-empty `metadata`
 * before 2.64, `policy` and `rules` from it; `project_id` and `user_id` from 2.13.
 */
export function serverGroupView(group: ServerGroupRecord, mv: Microversion): ServerGroupView {
  const view: ServerGroupView = { id: group.id, name: group.name, members: group.members }
  if (isAtLeast(mv, '2.64')) {
    view.policy = group.policy
    view.rules = group.rules
  } else {
    view.policies = [group.policy]
    view.metadata = {}
  }
  if (isAtLeast(mv, '2.13')) {
    view.project_id = group.projectId
    view.user_id = group.userId
  }
  return view
}
