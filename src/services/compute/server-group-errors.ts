import { InvalidRequest, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'

/** 404 for a server group that doesn't exist in the caller's scope (Nova's InstanceGroupNotFound). */
export class ServerGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Instance group ${id} could not be found.`, ServiceErrorCode.SERVER_GROUP_NOT_FOUND)
  }
}

/** 400: a boot's `group` hint names a group the caller can't see (Nova answers InstanceGroupNotFound with a 400 there). */
export class ServerGroupHintNotFound extends InvalidRequest {
  constructor(id: string) {
    super(`Instance group ${id} could not be found.`, ServiceErrorCode.SERVER_GROUP_NOT_FOUND)
  }
}

/** 400: rules on a group whose policy isn't anti-affinity. */
export class ServerGroupRulesNotSupported extends InvalidRequest {
  constructor() {
    super('Only anti-affinity policy supports rules.', ServiceErrorCode.SERVER_GROUP_RULES)
  }
}
