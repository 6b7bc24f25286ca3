/** Quotes a value for a POSIX shell: one single-quoted word, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

const PLACEHOLDER = /\{\{([a-z][a-z0-9_]*)\}\}/g

/** The placeholder names a template uses (`{{name}}`, `{{name_all}}`). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!)
}

/**
 * Renders a script template: `{{name}}` is the first value captured under
 * `name`, `{{name_all}}` every distinct value, each as one shell-quoted word
 * (so a console line can never inject shell syntax). A name with no value
 * renders as `''`.
 */
export function renderScript(template: string, captures: Record<string, string[]>): string {
  return template.replace(PLACEHOLDER, (_all, name: string) => {
    if (name.endsWith('_all')) {
      const values = captures[name.slice(0, -'_all'.length)] ?? []
      return values.length > 0 ? values.map(shellQuote).join(' ') : "''"
    }
    return shellQuote(captures[name]?.[0] ?? '')
  })
}
