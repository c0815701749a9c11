// Plugin options and the per-route `config.expect`, as TypeBox schemas: one
// source for run-time validation and for the public TypeScript types.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { isMediaRange } from './media-type'

/**
 * When the `100 Continue` goes out for an accepted request:
 * - `on-read`: the first time anything reads the body (Go, hyper, Kestrel), so
 *   every hook before the body parser (auth, rate limits, ...) can still answer
 *   instead;
 * - `after-checks`: as soon as the plugin's own checks pass.
 */
export const SendContinueSchema = Type.Union([
  Type.Literal('on-read'),
  Type.Literal('after-checks')
], { description: 'When the 100 Continue is written for an accepted request' })

export const LogLevelSchema = Type.Union([
  Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
  Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')
], { description: 'Log level of the line written for each request rejected before its body' })

// Staged close (RFC 9112 §9.6): bounds on how long and how much a connection
// answered before its body keeps being read, so that the client reads the answer
// instead of a reset. See linger.ts for the choice of defaults.
export const LingerTimeoutSchema = Type.Integer({
  minimum: 0,
  description: 'Milliseconds a connection answered before its body was read keeps reading (and discarding) after the response; 0 closes at once, as Node does'
})
export const LingerBytesSchema = Type.Integer({
  minimum: 0,
  description: 'Bytes read and discarded at most from such a connection before it is closed'
})
export const MaxLingeringSocketsSchema = Type.Integer({
  minimum: 0,
  description: 'Connections lingering at once at most; past it a connection closes at once, as Node does'
})

export const PluginOptionsSchema = Type.Object({
  sendContinue: Type.Optional(SendContinueSchema),
  rejectionLogLevel: Type.Optional(LogLevelSchema),
  lingerTimeout: Type.Optional(LingerTimeoutSchema),
  lingerBytes: Type.Optional(LingerBytesSchema),
  maxLingeringSockets: Type.Optional(MaxLingeringSocketsSchema)
}, { additionalProperties: false })

export const MediaRangeSchema = Type.String({
  description: 'A media type or range: `image/png`, `image/*` or `*/*`; parameters are ignored'
})

export const RouteExpectSchema = Type.Union([
  Type.Literal(false, { description: 'Turn the plugin off for this route: 100 at once, as Node does' }),
  Type.Object({
    contentTypes: Type.Optional(Type.Array(MediaRangeSchema, {
      minItems: 1,
      description: 'Media types this route accepts; others get 415 before the body'
    })),
    check: Type.Optional(Type.Function([Type.Any(), Type.Any()], Type.Unknown(), {
      description: '(request, reply) => void | Promise<void>: throw or reject to refuse the upload before its body'
    })),
    sendContinue: Type.Optional(SendContinueSchema)
  }, { additionalProperties: false })
])

export type SendContinue = Static<typeof SendContinueSchema>
export type PluginOptions = Static<typeof PluginOptionsSchema>
export type RouteExpectConfig = Static<typeof RouteExpectSchema>

/** Options Fastify's own `register()` accepts for every plugin; they are not ours to reject. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

export interface ResolvedOptions {
  readonly sendContinue: SendContinue
  readonly rejectionLogLevel: Static<typeof LogLevelSchema>
  readonly lingerTimeout: number
  readonly lingerBytes: number
  readonly maxLingeringSockets: number
}

/** nginx lingers up to 30 s, Go about 0.5 s; the reasons for these are in linger.ts. */
export const LINGER_DEFAULTS = Object.freeze({
  lingerTimeout: 5000,
  lingerBytes: 64 * 1024 * 1024,
  maxLingeringSockets: 1000
})

export function resolvePluginOptions (options: Record<string, unknown>): ResolvedOptions {
  const own = Object.fromEntries(Object.entries(options).filter(([key]) => !REGISTER_OPTIONS.has(key)))
  assertValid(PluginOptionsSchema, own, 'fastify-expect options')
  const valid = own as PluginOptions
  return {
    sendContinue: valid.sendContinue ?? 'on-read',
    rejectionLogLevel: valid.rejectionLogLevel ?? 'info',
    lingerTimeout: valid.lingerTimeout ?? LINGER_DEFAULTS.lingerTimeout,
    lingerBytes: valid.lingerBytes ?? LINGER_DEFAULTS.lingerBytes,
    maxLingeringSockets: valid.maxLingeringSockets ?? LINGER_DEFAULTS.maxLingeringSockets
  }
}

export function validateRouteConfig (value: unknown, route: string): RouteExpectConfig {
  assertValid(RouteExpectSchema, value, `config.expect of ${route}`)
  const config = value as RouteExpectConfig
  if (config !== false) {
    for (const [index, range] of (config.contentTypes ?? []).entries()) {
      if (!isMediaRange(range)) {
        throw new TypeError(`config.expect of ${route}: /contentTypes/${index} ${JSON.stringify(range)} is not a media type or range such as "image/png" or "image/*"`)
      }
    }
  }
  return config
}

function assertValid (schema: TSchema, value: unknown, what: string): void {
  if (Value.Check(schema, value)) return
  // A union reports only that no branch matched; the object branch says which field is wrong.
  const detail = schema === RouteExpectSchema && typeof value === 'object' && value !== null
    ? Value.Errors(RouteExpectSchema.anyOf[1], value).First()
    : Value.Errors(schema, value).First()
  const where = detail?.path === '' || detail === undefined ? '' : `${detail.path} `
  throw new TypeError(`${what}: ${where}${detail?.message ?? 'is invalid'}`)
}
