// Every Fastify internal the plugin reads, and nowhere else: each resolved once
// at registration, by the symbol's description or by feature test. Without one,
// registration logs a warning and the plugin does without (FASTIFY_INTERNALS
// says what each is for and what happens then; the README's table is checked
// against it).
import type { FastifyInstance } from 'fastify'
import type { SchemaErrorFormatter } from '../rules/header-schema'

export interface InternalUse {
  /** The internal, as the README's table names it. */
  readonly name: string
  readonly what: string
  /** What happens without it. */
  readonly fallback: string
}

export const FASTIFY_INTERNALS: readonly InternalUse[] = [
  { name: 'Fastify `fastify.serverBindings` (symbol)', what: 'the extra servers of a multi-address `listen()` (`localhost`: IPv4 and IPv6)', fallback: 'a warning at registration; those servers keep Node\'s own expectation handling' },
  { name: 'Fastify `fastify.schemaErrorFormatter` (symbol)', what: 'the app\'s error format for header errors answered before the body', fallback: 'a warning; Fastify\'s default format' },
  { name: 'Fastify `fastify.contentTypeParser` (symbol): `getParser()` and `customParsers`, each parser\'s `asString`/`asBuffer`/`bodyLimit`', what: 'the body model: which parser takes a media type, whether it buffers or streams, the limit Fastify applies, a streaming parser\'s own `bodyLimit`', fallback: 'a warning; parsers known only as present or not (`hasContentTypeParser`), no parser limits: the route\'s own rules only' },
  { name: 'Fastify binding `setNotFoundHandler` options\' `preParsing` like a route\'s (undocumented, Fastify 5.0 to 6.0)', what: '404 before the body', fallback: 'the not-found handler answers after the body, as in plain Fastify' },
  { name: 'Fastify\'s own `setNotFoundHandler` (the root instance\'s, before any wrapper)', what: 'the plugin\'s not-found hook set even when instrumentation (@fastify/otel) wrapped `setNotFoundHandler` before it', fallback: 'the wrapper in place is called' },
  { name: 'Fastify root instance: `server` on its prototype marks an encapsulated instance', what: 'refusing registration inside an encapsulated plugin', fallback: 'no such check' },
  { name: 'Fastify `printRoutes()` answering `(empty tree)`', what: 'the warning for routes declared before the plugin', fallback: 'no such warning' },
  { name: 'Fastify reading a route\'s `preParsing` and `onSend` after the last `onRoute` hook, when the app gets ready', what: 'the route\'s body model computed once the route and its parsers are final', fallback: 'none needed: read earlier, the model is computed then' }
]

function findSymbol (target: object, description: string): symbol | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const found = Object.getOwnPropertySymbols(o).find((s) => s.description === description)
    if (found !== undefined) return found
  }
  return undefined
}

/** A parser as Fastify's registry holds it. */
export interface RegisteredParser {
  /** `parseAs: 'string'` or `'buffer'`: Fastify reads the body itself, up to `bodyLimit`. */
  readonly buffered: boolean
  /** The limit given with `addContentTypeParser` (Fastify fills in the server's when none is given). */
  readonly bodyLimit: number | undefined
}

export interface ParserRegistry {
  /** The parser Fastify picks for a Content-Type value (RegExp and catch-all included), or undefined: 415. */
  get (contentType: string): RegisteredParser | undefined
  /** Every registered parser. */
  all (): readonly RegisteredParser[]
}

interface FastifyParsers {
  getParser?: (contentType: string) => { asString?: boolean, asBuffer?: boolean, bodyLimit?: number } | undefined
  customParsers?: Map<string, { asString?: boolean, asBuffer?: boolean, bodyLimit?: number }>
}

export interface Internals {
  /** Extra servers one `listen()` opens for several addresses (localhost: IPv4 and IPv6). */
  serverBindings (instance: FastifyInstance): readonly unknown[]
  /** An instance's schemaErrorFormatter (`setSchemaErrorFormatter`), for header errors given early. */
  schemaErrorFormatter (instance: FastifyInstance): SchemaErrorFormatter | undefined
  /** Whether the parser an instance picks for a media type takes the stream (no size limit of Fastify's); undefined when unknown. */
  streams (instance: FastifyInstance, mediaType: string): boolean | undefined
  /** The instance's content-type parsers; undefined without the internal. */
  parsers (instance: FastifyInstance): ParserRegistry | undefined
  /** Fastify's own setNotFoundHandler of the root instance, as it was before any wrapper. */
  readonly setNotFoundHandler: ((this: FastifyInstance, ...args: unknown[]) => FastifyInstance) | undefined
  /** The instance is an encapsulated one (a plugin's), not the root. */
  encapsulated (instance: FastifyInstance): boolean
  /** Routes were declared on the instance already: their printout, or undefined. */
  routesDeclared (instance: FastifyInstance): string | undefined
}

/** Fastify's own: it hands over to its 404 module (lib/four-oh-four.js). */
const isFastifys = (fn: unknown): fn is NonNullable<Internals['setNotFoundHandler']> =>
  typeof fn === 'function' && Function.prototype.toString.call(fn).includes('fourOhFour.setNotFoundHandler')

/**
 * The root's setNotFoundHandler as Fastify made it. Instrumentation registered
 * first (@fastify/otel) replaces it with a wrapper that keeps the original as a
 * decoration under a symbol: found there.
 */
function fastifysSetNotFoundHandler (fastify: FastifyInstance): Internals['setNotFoundHandler'] {
  if (isFastifys(fastify.setNotFoundHandler)) return fastify.setNotFoundHandler as Internals['setNotFoundHandler']
  for (let o: object | null = fastify; o !== null; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertySymbols(o)) {
      const value = (o as Record<symbol, unknown>)[key]
      if (isFastifys(value)) return value
    }
  }
  return undefined
}

const toParser = (p: { asString?: boolean, asBuffer?: boolean, bodyLimit?: number }): RegisteredParser =>
  ({ buffered: p.asString === true || p.asBuffer === true, bodyLimit: typeof p.bodyLimit === 'number' ? p.bodyLimit : undefined })

export function resolveInternals (fastify: FastifyInstance, warn: (message: string) => void): Internals {
  const kBindings = findSymbol(fastify, 'fastify.serverBindings')
  const kFormatter = findSymbol(fastify, 'fastify.schemaErrorFormatter')
  const kParsers = findSymbol(fastify, 'fastify.contentTypeParser')
  if (kBindings === undefined) warn('fastify-expect: Fastify internal "fastify.serverBindings" not found: servers that listen() opens for extra addresses keep Node\'s own expectation handling')
  if (kParsers === undefined) warn('fastify-expect: Fastify internal "fastify.contentTypeParser" not found: parsers are known only as present or not; no parser bodyLimit is applied before the body')
  if (kFormatter === undefined) warn('fastify-expect: Fastify internal "fastify.schemaErrorFormatter" not found: header errors given before the body use Fastify\'s default message format')
  const read = <T>(key: symbol | undefined, instance: FastifyInstance): T | undefined =>
    key === undefined ? undefined : (instance as unknown as Record<symbol, T>)[key]
  const views = new WeakMap<FastifyParsers, ParserRegistry>()
  const registryOf = (instance: FastifyInstance): FastifyParsers | undefined => {
    const registry = read<FastifyParsers>(kParsers, instance)
    return typeof registry?.getParser === 'function' ? registry : undefined
  }
  const own = fastifysSetNotFoundHandler(fastify)
  if (own === undefined) warn('fastify-expect: Fastify\'s own setNotFoundHandler not found (a wrapper replaced it and keeps no original): the not-found hook goes through the wrapper')
  return {
    serverBindings: (instance) => read<unknown[]>(kBindings, instance) ?? [],
    schemaErrorFormatter: (instance) => read<SchemaErrorFormatter>(kFormatter, instance),
    streams (instance, mediaType) {
      const registry = registryOf(instance)
      const parser = registry?.getParser?.(mediaType)
      return parser === undefined ? undefined : parser.asString !== true && parser.asBuffer !== true
    },
    parsers (instance) {
      const registry = registryOf(instance)
      if (registry === undefined) return undefined
      // One view per registry (it reads the registry live): a route's model is computed at each read
      // of its hooks, and a large app has many routes per instance.
      let view = views.get(registry)
      if (view === undefined) {
        const getParser = (registry.getParser as NonNullable<FastifyParsers['getParser']>).bind(registry)
        view = {
          get (contentType) {
            const parser = getParser(contentType)
            return parser === undefined ? undefined : toParser(parser)
          },
          all: () => registry.customParsers instanceof Map ? [...registry.customParsers.values()].map(toParser) : []
        }
        views.set(registry, view)
      }
      return view
    },
    setNotFoundHandler: own,
    encapsulated: (instance) => 'server' in Object.getPrototypeOf(instance),
    routesDeclared (instance) {
      const printed = instance.printRoutes({ commonPrefix: false })
      return printed === '(empty tree)' || printed.trim() === '' ? undefined : printed
    }
  }
}
