// Plugin options and the per-route `config.expect`, as TypeBox schemas: the one
// source of the run-time checks and of the public TypeScript types. TypeBox is a
// development dependency: `npm run schema:compile` turns these schemas into
// compiled.ts (plain JSON schemas for check.ts, and the types they stand for),
// so the published package neither ships nor loads TypeBox.
// This file is not part of the build (tsconfig.build.json excludes it).
import { Type, type TLiteral, type TUnion } from '@sinclair/typebox'

/**
 * When the `100 Continue` goes out for an accepted request:
 * - `on-read`: the first time anything reads the body (Go, hyper, Kestrel);
 * - `after-checks`: as soon as the route's rules pass (routes with rules), else on read;
 * - `immediately` (server-wide): at once, before any hook, as Node does (clients that
 *   cannot take a final status in place of the 100, such as JDK 17's HttpClient).
 */
export const SendContinue = Type.Union([Type.Literal('on-read'), Type.Literal('after-checks')], {
  description: 'When the 100 Continue is written for an accepted request of this route: on the first read of the body, or once the route\'s rules pass'
})
// Server-wide only: the route is not known yet when the request arrives.
export const ServerSendContinue = Type.Union([Type.Literal('on-read'), Type.Literal('after-checks'), Type.Literal('immediately')], {
  description: 'When the 100 Continue is written: on the first read, once the route\'s rules pass, or at once (before any hook, as Node does)'
})
const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const LogLevel = Type.Union(levels.map((level) => Type.Literal(level)), {
  description: 'Log level of the line written for each request refused before its body'
}) as unknown as TUnion<Array<TLiteral<typeof levels[number]>>>
// Staged close (RFC 9112 §9.6): see linger.ts for the defaults.
export const PluginOptions = Type.Object({
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
export const RouteRules = Type.Object({
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
export const RouteExpect = Type.Union([
  Type.Literal(false, { description: 'No rules for this route: it behaves as plain Fastify (the 100 still waits for the first read)' }),
  RouteRules
])

/** What compile.ts turns into compiled.ts, by name. */
export const schemas = { SendContinue, ServerSendContinue, LogLevel, PluginOptions, RouteRules, RouteExpect }
