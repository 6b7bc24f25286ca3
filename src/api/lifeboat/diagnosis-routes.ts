import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { ApiContext } from '../context.js'
import { callOf } from '../compute/server-route-helpers.js'
import type { ServerDiagnosis } from '../../services/diagnosis/diagnosis-service.js'
import { DiagnosisResponse, DiagnosisRulesResponse } from './response-schemas.js'

/** The API's view of a diagnosis (snake_case, as the OpenStack APIs). */
function diagnosisView(d: ServerDiagnosis) {
  return {
    diagnosis: {
      server_id: d.serverId,
      rules_version: d.rulesVersion,
      console_lines: d.consoleLines,
      findings: d.findings.map((f) => ({
        rule: f.rule, title: f.title, severity: f.severity, explanation: f.explanation,
        lines: f.lines, line_count: f.lineCount, captures: f.captures, repair_script: f.script,
      })),
    },
  }
}

/**
 * The diagnosis routes: a server's console log read for known boot failures
 * (owner or admin, as `os-getConsoleOutput`), and the rules themselves.
 */
export function diagnosisRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/servers/:id/diagnosis', {
      schema: { params: Type.Object({ id: Type.String() }), response: DiagnosisResponse },
    }, async (req) => diagnosisView(await ctx.services.diagnosis.diagnoseServer(callOf(req), req.params.id)))

    app.get('/diagnosis-rules', { schema: { response: DiagnosisRulesResponse } }, async () => {
      const set = ctx.services.diagnosis.rules
      return {
        rules_version: set.version,
        rules: set.rules.map((r) => ({ id: r.id, title: r.title, severity: r.severity, explanation: r.explanation.trim(), patterns: r.patterns.map((p) => p.source) })),
      }
    })
  }
}
