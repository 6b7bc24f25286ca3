/** One import that breaks the layer rule. */
export interface ImportViolation {
  /** The importing file, under src/. */
  from: string
  /** The imported file under src/, or a package name. */
  to: string
  rule: string
}
/** Which top-level folder of src/ may not import which. */
export const FORBIDDEN: Record<string, string[]>
/** Packages a layer may not import. */
export const FORBIDDEN_PACKAGES: Record<string, string[]>
/** Violations present when the check landed, "importer -> imported". */
export const KNOWN_VIOLATIONS: string[]
/** The top-level folder of a path under src/. */
export function layerOf(file: string): string
/** The rule `from` importing `to` breaks, or null. */
export function ruleBroken(from: string, to: string): string | null
/** Specifiers of one module's imports, exports and dynamic imports. */
export function importsOf(text: string): string[]
/** Every broken rule in `sources` (path under src/ → text). */
export function findViolations(sources: Record<string, string>): ImportViolation[]
/** Source files under `dir`, keyed by their path relative to `dir`. */
export function readSources(dir: string): Record<string, string>
