// A route's rules, applied before its body is read: declared media types, the
// route's own bodyLimit (also for streaming parsers and chunked bodies), its
// header schema and its own check. One preParsing hook, on the routes that
// declare a rule and no others; it applies to every request that carries a body,
// with or without Expect, so a request gets the same answer either way.
// preParsing runs after every onRequest hook (auth, rate limits, load shedding),
// whatever the registration order or the instrumentation wrapping the hooks.
import { Readable, Transform } from 'node:stream'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { sendContinue, stateOf, type Settled } from '../way-in/continue'
import type { Linger } from '../connection/linger'
import { bodyFraming, checkRules, headOf, type RouteRules } from '../decision/decide'
import { FST_ERR_CTP_BODY_TOO_LARGE } from '../decision/errors'
import { validateHeaders, type SchemaErrorFormatter } from './header-schema'
import { parseMediaRanges, mediaTypeOf, type MediaRange } from '../decision/media-type'
import { validateRouteConfig, type ResolvedOptions, type SendContinue } from '../options'

export type ExpectCheck = (request: FastifyRequest, reply: FastifyReply) => unknown

export interface RoutePolicy extends RouteRules {
  /** The route has a header schema: checked before the body of expectation requests. */
  readonly headers: boolean
  readonly check: ExpectCheck | undefined
  readonly sendContinue: SendContinue
}

type PreParsingDone = (err: Error | null, payload?: Readable) => void
type PreParsing = (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: PreParsingDone) => void

/**
 * From the plugin's onRoute hook. The route may still change: onRoute hooks
 * added later can set bodyLimit, schema or config. Fastify reads the route's
 * preParsing hooks after the last onRoute hook, and binds them when the app
 * gets ready: an accessor there takes the route as it finally stands.
 */
/** What the plugin's hooks share: its options, where decisions are reported, the staged close. */
export interface Wiring {
  readonly options: ResolvedOptions
  readonly settled: Settled
  readonly linger: Linger
}

export function installRules (route: RouteOptions, formatter: SchemaErrorFormatter | undefined, wiring: Wiring): void {
  const { options } = wiring
  const name = `${[route.method].flat().join(',')} ${route.url}`
  let hooks = route.preParsing
  let hook: { policy: RoutePolicy | undefined } | undefined
  const install = (): void => {
    const policy = policyOf(route, name, options)
    if (hook !== undefined) {
      hook.policy = policy
    } else if (policy !== undefined) {
      hook = { policy }
      const own = hooks === undefined ? [] : [hooks].flat()
      hooks = [...own, createRuleHook(hook, (route.schemaErrorFormatter as SchemaErrorFormatter | undefined) ?? formatter, wiring)] as RouteOptions['preParsing']
    }
  }
  install() // also reports a bad config.expect at once, naming the route
  Object.defineProperty(route, 'preParsing', {
    get () {
      install()
      return hooks
    },
    set (value: RouteOptions['preParsing']) { hooks = value },
    enumerable: true,
    configurable: true
  })
}

/** What the route declares, or undefined when it declares nothing the plugin applies. */
export function policyOf (route: Pick<RouteOptions, 'bodyLimit' | 'schema' | 'config'>, name: string, options: Pick<ResolvedOptions, 'sendContinue'>): RoutePolicy | undefined {
  const expect = (route.config as { expect?: unknown } | undefined)?.expect
  const config = expect === undefined ? {} : validateRouteConfig(expect, name)
  if (config === false) return undefined
  const schema = route.schema as { body?: unknown, headers?: unknown } | undefined
  const policy: RoutePolicy = {
    contentTypes: config.contentTypes === undefined ? undefined : parseMediaRanges(config.contentTypes),
    schemaContentTypes: schemaContentTypes(schema?.body),
    bodyLimit: route.bodyLimit ?? undefined,
    headers: schema?.headers !== undefined && schema.headers !== null,
    check: config.check as ExpectCheck | undefined,
    sendContinue: config.sendContinue ?? (options.sendContinue === 'after-checks' ? 'after-checks' : 'on-read')
  }
  // after-checks needs a moment between the onRequest hooks and the first read: the hook.
  const declares = policy.contentTypes !== undefined || policy.schemaContentTypes !== undefined ||
    policy.bodyLimit !== undefined || policy.headers || policy.check !== undefined || policy.sendContinue === 'after-checks'
  return declares ? policy : undefined
}

function createRuleHook (hook: { policy: RoutePolicy | undefined }, formatter: SchemaErrorFormatter | undefined, { settled, linger }: Wiring): PreParsing {
  return function fastifyExpectRules (request, reply, payload, done) {
    const policy = hook.policy
    const raw = request.raw
    const head = headOf(raw)
    const framing = bodyFraming(head)
    if (policy === undefined || typeof framing === 'string' || !framing.hasBody) {
      done(null, payload)
      return
    }
    const state = stateOf(raw)
    const refuse = (reason: string, error: Error): void => {
      if (state !== undefined) state.reason = reason
      keepNoBody(reply, linger)
      done(error)
    }
    const verdict = checkRules(head, policy, framing.length)
    if (verdict.action === 'reject' && verdict.reason === 'body-limit' && !hasParser(request)) {
      // Fastify answers 415 before any parser reads, as it orders them: so the 413
      // waits for a read (a parser matched by a RegExp or the catch-all), if any.
      if (state !== undefined) state.reason = verdict.reason
      keepNoBody(reply, linger)
      done(null, refusing(verdict.error, reply))
      return
    }
    if (verdict.action === 'reject') {
      refuse(verdict.reason, verdict.error)
      return
    }
    // Without Expect, Fastify validates the headers after the body, with the same answer.
    if (state !== undefined && policy.headers) {
      const error = validateHeaders(request, formatter)
      if (error !== undefined) {
        refuse('headers', error)
        return
      }
    }
    const proceed = (): void => {
      if (reply.sent) {
        // The check answered itself: Fastify's chain stops; nothing is to read the body.
        if (state !== undefined) state.reason = 'check'
        done(null, payload)
        return
      }
      if (state !== undefined && policy.sendContinue === 'after-checks') sendContinue(raw, state, settled)
      done(null, policy.bodyLimit !== undefined && framing.length === undefined ? limited(payload, policy.bodyLimit, reply, linger) : payload)
    }
    if (policy.check === undefined) {
      proceed()
      return
    }
    let result: unknown
    try {
      result = policy.check(request, reply)
    } catch (error) {
      refuse('check', toError(error))
      return
    }
    if (isThenable(result)) result.then(proceed, (error: unknown) => { refuse('check', toError(error)) })
    else proceed()
  }
}

/**
 * A body of unknown length (chunked, or HTTP/2 without Content-Length), cut at
 * the route's limit as it streams, for every parser: 413, and the connection
 * ends rather than reading the rest.
 */
function limited (payload: Readable, limit: number, reply: FastifyReply, linger: Linger): Readable {
  let received = 0
  const counter = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      received += chunk.length
      if (received <= limit) {
        callback(null, chunk)
        return
      }
      payload.unpipe(counter)
      keepNoBody(reply, linger)
      fail(counter, new FST_ERR_CTP_BODY_TOO_LARGE(), reply)
      callback()
    }
  })
  return payload.pipe(counter)
}

/** A parser registered for the request's media type (or the catch-all): Fastify will not answer 415 itself. */
function hasParser (request: FastifyRequest): boolean {
  const media = mediaTypeOf(request.headers['content-type'] ?? '')
  return media !== undefined && (request.server.hasContentTypeParser(`${media.type}/${media.subtype}`) || request.server.hasContentTypeParser('*'))
}

/** A body that is refused the first time anything reads it, without reading the request. */
function refusing (error: Error, reply: FastifyReply): Readable {
  return new Readable({
    read () { fail(this, error, reply) }
  })
}

/**
 * The parser's own error path when it listens for one (Fastify's buffered
 * parsers do): else the answer, here, since an 'error' nobody listens to
 * would bring the process down.
 */
function fail (stream: Readable, error: Error, reply: FastifyReply): void {
  if (stream.listenerCount('error') > 0) {
    stream.destroy(error)
    return
  }
  stream.destroy()
  if (!reply.sent) reply.send(error)
}

/**
 * A body is refused unread: the connection ends with the answer, as Fastify's
 * own 413 does, so that no byte of it is ever taken for a next request, and
 * in stages, so that the client reads the answer (linger.ts).
 */
export function keepNoBody (reply: FastifyReply, linger: Linger): void {
  if (reply.request.raw.httpVersionMajor !== 1 || reply.raw.headersSent) return
  reply.header('connection', 'close')
  if (reply.raw.socket !== null) linger.adopt(reply.raw.socket)
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

/** What a check threw, as an Error; a thrown `{ statusCode, message }` keeps both. */
function toError (thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  if (typeof thrown === 'object' && thrown !== null) {
    const { message } = thrown as { message?: unknown }
    return Object.assign(new Error(typeof message === 'string' ? message : 'Expectation check failed'), thrown)
  }
  return new Error(String(thrown))
}

export function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
