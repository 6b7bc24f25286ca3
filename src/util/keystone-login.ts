// One Keystone v3 password login for the CLI, the tests and the bench. It
// imports nothing of the app (src/util/ is a leaf), only speaks HTTP.

import { UtilErrorCode } from './error-code.js'

/** A domain by id or by name. */
export type DomainRef = { id: string } | { name: string }

/** A user's password and the project to scope the token to. */
export interface PasswordLogin {
  userName: string
  password: string
  projectName: string
  /** The user's domain; default the domain with id `default`. */
  userDomain?: DomainRef
  /** The project's domain; default the domain with id `default`. */
  projectDomain?: DomainRef
}

/** A token Keystone issued and the token document it answered with. */
export interface KeystoneToken {
  token: string
  body: { token: { user: { id: string }; project?: { id: string }; catalog?: unknown[] } }
}

/** Keystone refused the login (or answered something else than 201). */
export class KeystoneLoginError extends Error {
  /** Always `LB_KEYSTONE_LOGIN_REFUSED`; `status` tells which answer it was. */
  readonly code = UtilErrorCode.KEYSTONE_LOGIN_REFUSED
  /** The HTTP status Keystone answered with. */
  readonly status: number
  constructor(userName: string, status: number, text: string) {
    super(`Keystone refused the credentials of ${userName}: ${status} ${text}`)
    this.name = 'KeystoneLoginError'
    this.status = status
  }
}

const DEFAULT_DOMAIN: DomainRef = { id: 'default' }

/** The body of `POST /v3/auth/tokens` for a password login scoped to a project. */
export function passwordAuthBody(login: PasswordLogin): unknown {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: login.userName, password: login.password, domain: login.userDomain ?? DEFAULT_DOMAIN } } },
      scope: { project: { name: login.projectName, domain: login.projectDomain ?? DEFAULT_DOMAIN } },
    },
  }
}

/**
 * Logs in with a password at `authUrl`, Keystone's base with or without the
 * trailing `/v3` (`http://host/identity` or `http://host/identity/v3`);
 * throws KeystoneLoginError unless Keystone answers 201.
 */
export async function keystoneLogin(authUrl: string, login: PasswordLogin): Promise<KeystoneToken> {
  const base = authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')
  const response = await fetch(`${base}/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(passwordAuthBody(login)),
  })
  if (response.status !== 201) throw new KeystoneLoginError(login.userName, response.status, await response.text())
  return { token: response.headers.get('x-subject-token')!, body: (await response.json()) as KeystoneToken['body'] }
}
