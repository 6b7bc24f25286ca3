import { Conflict, InvalidRequest, LifeboatError, NotFound } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'

/** 404 for a server that doesn't exist in the caller's scope. */
export class InstanceNotFound extends NotFound {
  constructor(id: string) {
    super(`Instance ${id} could not be found.`, ServiceErrorCode.INSTANCE_NOT_FOUND)
  }
}

/** 404 for a flavor that doesn't exist or the caller can't see. */
export class FlavorNotFound extends NotFound {
  constructor(id: string) {
    super(`Flavor ${id} could not be found.`, ServiceErrorCode.FLAVOR_NOT_FOUND)
  }
}

/** 409: a flavor of this name exists already. */
export class FlavorExists extends Conflict {
  constructor(name: string) {
    super(`Flavor with name ${name} already exists.`, ServiceErrorCode.FLAVOR_EXISTS)
  }
}

/** 404: the flavor has no extra spec of this key. */
export class FlavorExtraSpecNotFound extends NotFound {
  constructor(flavorId: string, key: string) {
    super(`Flavor ${flavorId} has no extra specs with key ${key}.`, ServiceErrorCode.FLAVOR_EXTRA_SPEC_NOT_FOUND)
  }
}

/** 409: the user has a keypair of this name already. */
export class KeypairExists extends Conflict {
  constructor(name: string) {
    super(`Key pair '${name}' already exists.`, ServiceErrorCode.KEYPAIR_EXISTS)
  }
}

/** 404: no such security group rule in the caller's groups. */
export class SecurityGroupRuleNotFound extends NotFound {
  constructor(id: string) {
    super(`Security group rule ${id} not found.`, ServiceErrorCode.SECURITY_GROUP_RULE_NOT_FOUND)
  }
}

/** 404 for a keypair the user doesn't have. */
export class KeypairNotFound extends NotFound {
  constructor(name: string, userId: string) {
    super(`Keypair ${name} not found for user ${userId}`, ServiceErrorCode.KEYPAIR_NOT_FOUND)
  }
}

/** 409: the action is not allowed in the server's vm_state or task_state. */
export class InstanceInvalidState extends Conflict {
  constructor(action: string, instanceId: string, attr: 'vm_state' | 'task_state', state: string | null) {
    // Nova formats the state with Python's str(): no task is `None`.
    super(`Cannot '${action}' instance ${instanceId} while it is in ${attr} ${state ?? 'None'}`, ServiceErrorCode.INSTANCE_INVALID_STATE)
  }
}

/** 409: an availability zone given to unshelve a server still on its host (Nova's UnshelveInstanceInvalidState). */
export class UnshelveInstanceInvalidState extends Conflict {
  constructor(instanceId: string, state: string) {
    super(`Specifying an availability zone when unshelving server ${instanceId} with status "${state}" is not supported. The server status must be SHELVED_OFFLOADED.`, ServiceErrorCode.UNSHELVE_INVALID_STATE)
  }
}

/** 409: the server is locked and the caller may not override it. */
export class InstanceIsLocked extends Conflict {
  constructor(instanceId: string) {
    super(`Instance ${instanceId} is locked`, ServiceErrorCode.INSTANCE_LOCKED)
  }
}

/** 400: the server can't be rescued (Nova's InstanceNotRescuable). */
export class InstanceNotRescuable extends InvalidRequest {
  constructor(instanceId: string, reason: string) {
    super(`Instance ${instanceId} cannot be rescued: ${reason}`, ServiceErrorCode.INSTANCE_NOT_RESCUABLE)
  }
}

/** 400: the image can't be a rescue image (Nova's UnsupportedRescueImage). */
export class UnsupportedRescueImage extends InvalidRequest {
  constructor(imageId: string, reason?: string) {
    super(`Requested rescue image '${imageId}' is not supported${reason ? `: ${reason}` : ''}`, ServiceErrorCode.UNSUPPORTED_RESCUE_IMAGE)
  }
}

/** 409: the server has no host yet or is not running (Nova's InstanceNotReady, as the console API answers it). */
export class InstanceNotReady extends Conflict {
  constructor(instanceId: string) {
    super(`Instance ${instanceId} is not ready`, ServiceErrorCode.INSTANCE_NOT_READY)
  }
}

/** 400: a console type this cloud does not serve (Nova's ConsoleTypeUnavailable: its proxy is not enabled). */
export class ConsoleTypeUnavailable extends InvalidRequest {
  constructor(consoleType: string) {
    super(`Unavailable console type ${consoleType}.`, ServiceErrorCode.CONSOLE_TYPE_UNAVAILABLE)
  }
}

/** 400: a console type its protocol does not have (Nova's ConsoleTypeInvalid, e.g. `xvpvnc`). */
export class ConsoleTypeInvalid extends InvalidRequest {
  constructor(consoleType: string) {
    super(`Invalid console type ${consoleType}`, ServiceErrorCode.CONSOLE_TYPE_INVALID)
  }
}

/** 404: no unexpired console token of this value (`os-console-auth-tokens`). */
export class ConsoleTokenNotFound extends NotFound {
  constructor() {
    super('Token not found', ServiceErrorCode.CONSOLE_TOKEN_NOT_FOUND)
  }
}

/** 500: the host could not plug the NIC (Nova's InterfaceAttachFailed; the port was given back). */
export class InterfaceAttachFailed extends LifeboatError {
  constructor(instanceId: string) {
    super(`Failed to attach network adapter device to ${instanceId}`, ServiceErrorCode.INTERFACE_ATTACH_FAILED, 500)
  }
}
