// The route's compiled header schema, run before the body instead of after
// it, read the way Fastify reads a validator's answer (lib/validation.js):
// `false` with `.errors` (Ajv), `{ error }` or `{ value }` (TypeBox, Zod and
// other compilers), or a promise, which is left to Fastify's own pass.
import type { FastifyRequest } from 'fastify'

export type SchemaErrorFormatter = (errors: unknown, dataVar: string) => Error
type HeaderValidator = ((data: unknown, context?: object) => unknown) & { errors?: unknown, schemaEnv?: unknown }

export function validateHeaders (request: FastifyRequest, formatter: SchemaErrorFormatter | undefined): Error | undefined {
  const validate = request.getValidationFunction('headers') as HeaderValidator | undefined
  if (validate === undefined) return undefined
  // A copy: validators may remove, default or coerce properties (Ajv's removeAdditional,
  // useDefaults, coerceTypes), and the framing headers Fastify reads next must stay as sent.
  const headers = { ...request.headers }
  let answer: unknown
  try {
    answer = validate.schemaEnv === undefined
      ? validate(headers)
      : validate(headers, { parentData: { headers }, parentDataProperty: 'headers' })
  } catch (error) {
    return Object.assign(error as Error, { statusCode: 500 })
  }
  if (typeof (answer as { then?: unknown } | null)?.then === 'function') return undefined
  const failure = answer === false ? validate.errors : (answer as { error?: unknown } | null)?.error
  if (failure === undefined || failure === null) return undefined
  // As Fastify's own validation errors (wrapValidationError).
  const error = (failure instanceof Error ? failure : (formatter ?? defaultFormatter)(failure, 'headers')) as Error & Record<string, unknown>
  error.statusCode ??= 400
  error.code ??= 'FST_ERR_VALIDATION'
  if (!(failure instanceof Error)) error.validation = failure
  error.validationContext ??= 'headers'
  return error
}

/** Fastify's default schemaErrorFormatter (lib/context.js). */
function defaultFormatter (errors: unknown, dataVar: string): Error {
  const list = errors as Array<{ instancePath?: string, message?: string }>
  return new Error(list.map((e) => `${dataVar}${e.instancePath ?? ''} ${e.message ?? ''}`).join(', '))
}
