/** Current time as stored in the database: ISO 8601 with milliseconds, UTC. */
export function nowIso(): string {
  return new Date().toISOString()
}

/** Keystone's wire format: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function keystoneTime(iso: string): string {
  return iso.replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Nova's wire format: `YYYY-MM-DDTHH:MM:SSZ`. */
export function novaTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.\d{3}Z$/, 'Z')
}
