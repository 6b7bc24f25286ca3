import type { CallContext } from '../compute/call-context.js'
import { diagnose, consoleLines, type Finding } from './matcher.js'
import type { RuleSet } from './rule-loader.js'

/** What the diagnosis needs of compute: the console log, read as `os-getConsoleOutput` reads it (policy, project scope included). */
export interface ConsoleLogReader {
  consoleOutput(call: CallContext, id: string, length: number | null): Promise<string>
}

/** A server's diagnosis: the findings over the console log read now. */
export interface ServerDiagnosis {
  serverId: string
  rulesVersion: number
  /** How many console lines were read (evidence line numbers count within these). */
  consoleLines: number
  findings: Finding[]
}

/**
 * Reads a server's console log and names the known boot failures in it
 * (rules: `rules.yaml`), each with its lines and a repair script for a
 * rescue run. Reading the log is `os-getConsoleOutput`'s path, so the same
 * policy holds: the owner or an admin; another project's server is a 404.
 */
export class DiagnosisService {
  readonly #console: ConsoleLogReader
  readonly #rules: RuleSet

  constructor(console: ConsoleLogReader, rules: RuleSet) {
    this.#console = console
    this.#rules = rules
  }

  /** The rules in force (for listing them). */
  get rules(): RuleSet {
    return this.#rules
  }

  /** Diagnoses a server from its whole console log. */
  async diagnoseServer(call: CallContext, id: string): Promise<ServerDiagnosis> {
    const text = await this.#console.consoleOutput(call, id, null)
    return { serverId: id, rulesVersion: this.#rules.version, consoleLines: text === '' ? 0 : consoleLines(text).length, findings: diagnose(text, this.#rules) }
  }
}
