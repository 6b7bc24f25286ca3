import AjvCompiler from '@fastify/ajv-compiler'

type RouteSchema = AjvCompiler.RouteDefinition
type Validate = ((data: unknown, dataCxt?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown }
type CompileRoute = (route: RouteSchema) => Validate

/** One route part's validator, compiled by `compile` on its first call. */
function compiledOnFirstCall(compile: () => Validate): Validate {
  let real: Validate | null = null
  const validate: Validate = (data, dataCxt) => {
    real ??= compile()
    const result = real(data, dataCxt)
    validate.errors = real.errors
    return result
  }
  // Fastify passes the parent (so Ajv may coerce a root value) only to functions with a
  // schemaEnv, as Ajv's have: say so before the real one exists.
  validate.schemaEnv = true
  return validate
}

/**
 * Fastify's own validator compiler (@fastify/ajv-compiler: the same Ajv, the
 * same options, the same errors) compiling each route's schema on the
 * route's first request instead of at start-up: the all-in-one starts in
 * less time and holds no validators for routes nobody calls. Passed as
 * `schemaController.compilersFactory.buildValidator`.
 */
export function lazyValidatorCompiler(): AjvCompiler.BuildCompilerFromPool {
  const build = AjvCompiler()
  return (externalSchemas, options) => {
    // Fastify calls the compiler with a route definition, not the bare schema its types name.
    const compile = build(externalSchemas, options) as unknown as CompileRoute
    const lazy: CompileRoute = (route) => compiledOnFirstCall(() => compile(route))
    return lazy as unknown as ReturnType<AjvCompiler.BuildCompilerFromPool>
  }
}
