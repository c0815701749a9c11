// Plugin options and the per-route `config.expect`, as TypeBox schemas: one
// source for run-time validation and for the public TypeScript types. TypeBox
// is loaded on first use, at registration, and only when there is something to
// check: an app that passes no options and declares no `config.expect` never
// loads it (a smaller start-up heap).
import type { Static, TSchema } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isMediaRange } from './decision/media-type'

function build () {
  const { Type } = require('@sinclair/typebox') as typeof import('@sinclair/typebox')
  /**
   * When the `100 Continue` goes out for an accepted request:
   * - `on-read`: the first time anything reads the body (Go, hyper, Kestrel);
   * - `after-checks`: as soon as the route's rules pass (routes with rules), else on read;
   * - `immediately` (server-wide): at once, before any hook, as Node does (clients that
   *   cannot take a final status in place of the 100, such as JDK 17's HttpClient).
   */
  const SendContinue = Type.Union([Type.Literal('on-read'), Type.Literal('after-checks')], {
    description: 'When the 100 Continue is written for an accepted request'
  })
  // Server-wide only: the route is not known yet when the request arrives.
  const ServerSendContinue = Type.Union([Type.Literal('on-read'), Type.Literal('after-checks'), Type.Literal('immediately')], {
    description: 'When the 100 Continue is written: on the first read, once the route\'s rules pass, or at once (before any hook, as Node does)'
  })
  const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), {
    description: 'Log level of the line written for each request refused before its body'
  }) as unknown as import('@sinclair/typebox').TUnion<Array<import('@sinclair/typebox').TLiteral<'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>>>
  // Staged close (RFC 9112 §9.6): see linger.ts for the defaults.
  const PluginOptions = Type.Object({
    sendContinue: Type.Optional(ServerSendContinue),
    rejectionLogLevel: Type.Optional(LogLevel),
    lingerTimeout: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds a connection answered before its body keeps reading (and discarding) after the response; 0 closes at once, as Node does' })),
    lingerBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes read and discarded at most from such a connection before it is closed' })),
    maxLingeringSockets: Type.Optional(Type.Integer({ minimum: 0, description: 'Connections lingering at once at most; past it a connection closes at once, as Node does' })),
    // Admission (plugin/admission/): off unless maxConcurrentUploads is set.
    maxConcurrentUploads: Type.Optional(Type.Integer({ minimum: 1, description: 'Request bodies received at once at most, server-wide; at capacity an upload waits for a slot (without its 100) or gets 503' })),
    admissionTimeout: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds a request waits for an upload slot before 503 with Retry-After (default 800: below the 1 s curl and Go wait before sending anyway)' })),
    admission: Type.Optional(Type.Union([Type.Literal('refuse'), Type.Literal('queue')], { description: 'At capacity, a request without Expect gets 503 before its body is read (refuse), or its connection is not read until a slot frees or the timeout passes (queue)' }))
  }, { additionalProperties: false })
  const RouteRules = Type.Object({
    contentTypes: Type.Optional(Type.Array(Type.String({ description: 'A media type or range: `image/png`, `image/*` or `*/*`' }), {
      minItems: 1,
      description: 'Media types this route accepts; others get 415 before the body'
    })),
    check: Type.Optional(Type.Function([Type.Any(), Type.Any()], Type.Unknown(), {
      description: '(request, reply) => void | Promise<void>: throw or reject to refuse the upload before its body'
    })),
    sendContinue: Type.Optional(SendContinue),
    maxConcurrentUploads: Type.Optional(Type.Integer({ minimum: 1, description: 'Request bodies this route receives at once at most: its own slots, instead of the server\'s' }))
  }, { additionalProperties: false })
  const RouteExpect = Type.Union([
    Type.Literal(false, { description: 'No rules for this route: it behaves as plain Fastify (the 100 still waits for the first read)' }),
    RouteRules
  ])
  return { SendContinue, ServerSendContinue, LogLevel, PluginOptions, RouteRules, RouteExpect }
}

type Schemas = ReturnType<typeof build>
let built: Schemas | undefined
export function schemas (): Schemas {
  built ??= build()
  return built
}

export type SendContinue = Static<Schemas['SendContinue']>
export type ServerSendContinue = Static<Schemas['ServerSendContinue']>
export type LogLevel = Static<Schemas['LogLevel']>
export type PluginOptions = Static<Schemas['PluginOptions']>
/**
 * A route's `config.expect`: `false`, or its rules (the check typed with
 * Fastify's request and reply). `& object`: Fastify intersects a route's config
 * with the type it infers from the literal, and `true & { ...all optional }`
 * would let `expect: true` through.
 */
export type RouteExpectConfig = false | (Omit<Static<Schemas['RouteRules']>, 'check'> & object & {
  /** Runs before the body is sent; throw (or reject) to refuse the upload with that error. */
  check?: (request: FastifyRequest, reply: FastifyReply) => unknown
})

/** Options Fastify's own `register()` accepts for every plugin; they are not ours to reject. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

export interface ResolvedOptions {
  readonly sendContinue: ServerSendContinue
  readonly rejectionLogLevel: LogLevel
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
  if (Object.keys(own).length > 0) assertValid(schemas().PluginOptions, own, 'fastify-expect options')
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
  const { RouteExpect, RouteRules } = schemas()
  // The object branch says which field is wrong; the union, what the value may be.
  assertValid(typeof value === 'object' && value !== null && !Array.isArray(value) ? RouteRules : RouteExpect, value, `config.expect of ${route}`)
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
  const { Value } = require('@sinclair/typebox/value') as typeof import('@sinclair/typebox/value')
  const detail = Value.Errors(schema, value).First()
  if (detail === undefined) return
  const where = detail.path === '' ? '' : `${detail.path} `
  throw new TypeError(`${what}: ${where}${explain(detail.schema, detail.message)}`)
}

/** A union says which values it takes, rather than "Expected union value". */
function explain (schema: TSchema, message: string): string {
  const branches = schema.anyOf as TSchema[] | undefined
  if (branches === undefined) return message
  const names = branches.map((b) => b.const !== undefined ? JSON.stringify(b.const) : `an object (${Object.keys(b.properties as object).join(', ')})`)
  return branches.every((b) => b.const !== undefined) ? `must be one of ${names.join(', ')}` : `must be ${names.join(' or ')}`
}
