import pino, { type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/** Where the log goes: `false` silences it (tests), an object sets the level and, with `file`, writes there. */
export type LoggerOption = boolean | { level: string; file?: string }

/**
 * Log redaction, the one list: secrets never reach a log line (the API's
 * tokens and passwords, and the credential compute agents send).
 */
export const REDACTED_PATHS = [
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization',
  'req.headers["x-lifeboat-agent-credential"]',
  'res.headers["x-subject-token"]',
  '*.password', '*.adminPass', '*.token', '*.credential', 'password', 'adminPass', 'credential',
  // Two levels deep too (pino's `*` is one level), and keypair private keys in both spellings.
  '*.*.password', '*.*.adminPass', '*.*.token', 'private_key', '*.private_key', 'privateKey', '*.privateKey',
]

/**
 * The process's logger: JSON lines, or pino's own pretty printer when stdout
 * is a terminal (loaded only then). `false` gives a silent logger.
 */
export async function createLogger(level: string, option: LoggerOption = true): Promise<Logger> {
  if (option === false) return pino({ level: 'silent' })
  const options: LoggerOptions = { level: typeof option === 'object' ? option.level : level, redact: REDACTED_PATHS }
  if (typeof option === 'object' && option.file) return pino(options, pino.destination({ dest: option.file, mkdir: true, sync: true }))
  if (!process.stdout.isTTY) return pino(options)
  const { default: pretty } = await import('pino-pretty')
  // Synchronous, in this thread: no transport worker for a terminal's few lines.
  return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }))
}
