// One model of what happens to a route's body, computed once per route when the
// app gets ready (the route and its parsers are final then): the route's own
// rules, the parser each media type meets (does it buffer or stream, which
// limit applies), and whether the plugin has anything to do on the route at
// all. Every path that decides about a body reads it through fate.ts; none
// keeps its own copy of these facts.
import type { ParserRegistry, RegisteredParser } from '../internals/fastify'
import type { RoutePolicy } from '../rules/route-rules'
import { acceptsMediaType } from '../decision/decide'

/** What a request's Content-Type meets on the route. */
export interface ParserFate {
  /**
   * - `buffered`: Fastify reads the body itself (`parseAs`), up to `limit`, and answers
   *   413 from the head when Content-Length is over it;
   * - `streaming`: the parser takes the stream; `limit` is the route's, or the parser's own;
   * - `none`: no parser takes it: Fastify answers 415 from the head;
   * - `unknown`: Fastify's registry is out of reach (fallback): a parser exists.
   */
  readonly kind: 'buffered' | 'streaming' | 'none' | 'unknown'
  /** The limit on the body's size, undefined when none applies (a streaming parser, as in Fastify). */
  readonly limit: number | undefined
}

/** A body that may be read, and the limit the plugin holds it to as it streams (see fate.ts). */
export interface ReadFate { readonly action: 'read', readonly parser: ParserFate, readonly limit: number | undefined }

/** What a Content-Type value meets on the route, computed once per value. */
export interface Meeting {
  /** The route's declared media types take it. */
  readonly accepts: boolean
  readonly parser: ParserFate
  /** Its body of declared length may be read (Node's parser holds it to that length). */
  readonly read: ReadFate
  /** Its body of unknown length may be read, held to the parser's limit unless Fastify buffers it. */
  readonly streamed: ReadFate
}

export interface BodyModel {
  /** The route's own rules (config.expect, bodyLimit, schema), or undefined when it declares none. */
  readonly policy: RoutePolicy | undefined
  /** The plugin has something to do on this route: own rules, or a streaming parser with its own limit. */
  readonly acts: boolean
  /** What a Content-Type value (undefined: none sent) meets on this route: whether its declared media types take it, its parser, the fates of its body; one lookup per request. */
  meet (contentType: string | undefined): Meeting
  /** A body with no Content-Type, Content-Length or Transfer-Encoding (HTTP/2 DATA alone): Fastify parses none, a handler may read it, held to the route's limit. */
  readonly unparsed: ReadFate
}

const NONE: ParserFate = Object.freeze({ kind: 'none', limit: undefined })
const UNKNOWN: ParserFate = Object.freeze({ kind: 'unknown', limit: undefined })
const always = (): boolean => true

const meetingOf = (accepts: boolean, parser: ParserFate): Meeting => Object.freeze({
  accepts,
  parser,
  read: Object.freeze({ action: 'read' as const, parser, limit: undefined }),
  streamed: Object.freeze({ action: 'read' as const, parser, limit: parser.kind === 'buffered' ? undefined : parser.limit })
})
const unparsedOf = (limit: number | undefined): ReadFate => Object.freeze({ action: 'read', parser: Object.freeze({ kind: 'none', limit }), limit })

/** A route the plugin has nothing to do on (most routes of a large app): one model for all of them. */
const IDLE_MEETING = meetingOf(true, UNKNOWN)
const IDLE: BodyModel = Object.freeze({ policy: undefined, acts: false, meet: () => IDLE_MEETING, unparsed: unparsedOf(undefined) })

/**
 * @param serverLimit the server's bodyLimit: Fastify gives it to every parser
 *   registered without one, so a parser's own limit is one that differs from it.
 */
export function buildModel (policy: RoutePolicy | undefined, registry: ParserRegistry | undefined, serverLimit: number): BodyModel {
  const routeLimit = policy?.bodyLimit
  const ownLimit = (parser: RegisteredParser): number | undefined =>
    parser.bodyLimit !== undefined && parser.bodyLimit !== serverLimit ? parser.bodyLimit : undefined
  // Without rules of its own, a route acts only in reach of a streaming parser with its own limit.
  if (policy === undefined && registry?.all().some((parser) => !parser.buffered && ownLimit(parser) !== undefined) !== true) return IDLE
  const fateOf = (parser: RegisteredParser | undefined): ParserFate => {
    if (parser === undefined) return NONE
    if (parser.buffered) return { kind: 'buffered', limit: routeLimit ?? parser.bodyLimit }
    return { kind: 'streaming', limit: routeLimit ?? ownLimit(parser) }
  }
  const accepts = policy === undefined || (policy.contentTypes === undefined && policy.schemaContentTypes === undefined)
    ? always
    : (contentType: string | undefined) => acceptsMediaType(policy, contentType)
  const unparsed = unparsedOf(routeLimit)
  if (registry === undefined) {
    // Fallback: which parser (if any) takes a type is not known; the route's limit applies to every body.
    const unknown: ParserFate = Object.freeze({ kind: 'unknown', limit: routeLimit })
    return { policy, acts: policy !== undefined, meet: remembered((contentType) => meetingOf(accepts(contentType), unknown)), unparsed }
  }
  return {
    policy,
    acts: true,
    meet: remembered((contentType) => meetingOf(accepts(contentType), fateOf(registry.get(contentType ?? '')))),
    unparsed
  }
}

/**
 * The answers for the Content-Type values a route meets, computed once each: a route sees
 * few distinct values, so each request costs a lookup (the first 64 values are kept).
 */
function remembered<T> (compute: (contentType: string | undefined) => T): (contentType: string | undefined) => T {
  const seen = new Map<string | undefined, T>()
  return (contentType) => {
    let answer = seen.get(contentType)
    if (answer === undefined) {
      answer = compute(contentType)
      if (seen.size < 64) seen.set(contentType, answer)
    }
    return answer
  }
}
