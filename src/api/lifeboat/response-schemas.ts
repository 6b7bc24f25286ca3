import { Type, type TSchema } from '@sinclair/typebox'

/** Response schemas of the `/lifeboat/v1` routes (closed objects: only what the views name goes out). */
const Closed = <T extends Record<string, TSchema>>(properties: T) => Type.Object(properties, { additionalProperties: false })
const Any = Type.Unknown()

const Finding = Closed({
  rule: Any, title: Any, severity: Any, explanation: Any,
  lines: Type.Array(Closed({ number: Any, text: Any })),
  line_count: Any,
  captures: Type.Record(Type.String(), Type.Array(Type.String())),
  repair_script: Any,
})

/** `GET /lifeboat/v1/servers/{id}/diagnosis`. */
export const DiagnosisResponse = {
  200: Closed({ diagnosis: Closed({ server_id: Any, rules_version: Any, console_lines: Any, findings: Type.Array(Finding) }) }),
}

/** `GET /lifeboat/v1/diagnosis-rules`. */
export const DiagnosisRulesResponse = {
  200: Closed({
    rules_version: Any,
    rules: Type.Array(Closed({ id: Any, title: Any, severity: Any, explanation: Any, patterns: Type.Array(Type.String()) })),
  }),
}

/** `GET /lifeboat/v1`: the extension's version and resources. */
export const LifeboatVersionResponse = {
  200: Closed({ version: Closed({ id: Any, status: Any, links: Type.Array(Closed({ href: Any, rel: Any })) }) }),
}
