// A route's expectation policy: everything the decision needs to know about a
// route, derived once when the route is registered (never per request).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseMediaRanges, mediaTypeOf, type MediaRange } from './media-type'
import { validateRouteConfig, type ResolvedOptions, type SendContinue } from './options'

/** The part of Fastify's content-type parser registry the decision reads. */
export interface ParserRegistry {
  getParser (contentType: string): ContentTypeParser | undefined
}
export interface ContentTypeParser {
  /** The parser's own limit (`addContentTypeParser(type, { bodyLimit })`), else the server's. */
  readonly bodyLimit: number | undefined
}

export type ExpectCheck = (request: FastifyRequest, reply: FastifyReply) => unknown

export interface RoutePolicy {
  /** `METHOD /url`, for logs and messages. */
  readonly route: string
  /** false when the route set `config.expect: false`. */
  readonly enabled: boolean
  /** The policy of Fastify's not-found handler: nothing routes there, so nothing is worth uploading. */
  readonly notFound: boolean
  /** The route's own `bodyLimit`, if it set one (it wins over the parser's and the server's). */
  readonly bodyLimit: number | undefined
  readonly serverBodyLimit: number
  /** `config.expect.contentTypes`. */
  readonly contentTypes: readonly MediaRange[] | undefined
  /** Media types of `schema.body.content`. */
  readonly schemaContentTypes: readonly MediaRange[] | undefined
  readonly parsers: ParserRegistry
  /** Methods whose body Fastify never reads (GET, HEAD, TRACE unless the app changed them). */
  readonly bodylessMethods: ReadonlySet<string>
  readonly check: ExpectCheck | undefined
  readonly sendContinue: SendContinue
}

/** What a route declares, as Fastify's route options (or a route context) carry it. */
export interface RouteDeclaration {
  readonly method: string | readonly string[]
  readonly url: string
  readonly bodyLimit?: number | null
  readonly schema?: { body?: unknown } | null
  readonly expect?: unknown
}

/** Fastify's default: `fastify.addHttpMethod()` can change it, so the plugin passes the app's own set. */
export const DEFAULT_BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE'])

export function derivePolicy (
  route: RouteDeclaration,
  parsers: ParserRegistry,
  serverBodyLimit: number,
  options: ResolvedOptions,
  bodylessMethods: ReadonlySet<string> = DEFAULT_BODYLESS_METHODS
): RoutePolicy {
  const name = `${[route.method].flat().join(',')} ${route.url}`
  const config = route.expect === undefined ? {} : validateRouteConfig(route.expect, name)
  return {
    route: name,
    enabled: config !== false,
    notFound: false,
    bodyLimit: route.bodyLimit ?? undefined,
    serverBodyLimit,
    contentTypes: config === false || config.contentTypes === undefined ? undefined : parseMediaRanges(config.contentTypes),
    schemaContentTypes: schemaContentTypes(route.schema?.body),
    parsers,
    bodylessMethods,
    check: config === false ? undefined : config.check as ExpectCheck | undefined,
    sendContinue: (config === false ? undefined : config.sendContinue) ?? options.sendContinue
  }
}

export function notFoundPolicy (
  parsers: ParserRegistry,
  serverBodyLimit: number,
  options: ResolvedOptions,
  bodylessMethods: ReadonlySet<string> = DEFAULT_BODYLESS_METHODS
): RoutePolicy {
  return { ...derivePolicy({ method: '*', url: '(not found)' }, parsers, serverBodyLimit, options, bodylessMethods), notFound: true }
}

/** `schema.body.content` maps media types to schemas (Fastify's per-content-type body schemas). */
function schemaContentTypes (body: unknown): MediaRange[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const content = (body as { content?: unknown }).content
  if (typeof content !== 'object' || content === null) return undefined
  return Object.keys(content)
    .map((type) => type === '*' ? { type: '*', subtype: '*' } : mediaTypeOf(type))
    .filter((range): range is MediaRange => range !== undefined)
}
