/** Row type of the console URLs' tokens (migration 2026-12-06-001, Nova's `console_auth_tokens`). */
export interface ConsoleAuthTokensTable {
  id: string
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_hash: string
  /** Nova's console type: `serial` or `novnc`. */
  console_type: string
  instance_uuid: string
  project_id: string
  /** The compute host that ran the instance when the token was issued. */
  host: string
  /** The URL the token was issued for, without the token (Nova's `access_url_base`). */
  access_url_base: string
  /** ISO time after which the token is refused. */
  expires_at: string
  created_at: string
}

export interface ConsoleTables {
  console_auth_tokens: ConsoleAuthTokensTable
}
