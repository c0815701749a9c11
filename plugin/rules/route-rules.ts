// A route's rules, applied before its body is read: declared media types, the
// route's own bodyLimit (also for streaming parsers and chunked bodies), its
// header schema and its own check, and the limits and parsers of the route's
// body model (body/model.ts). One preParsing hook, on the routes where the
// plugin has something to do and no others; it applies to every request that
// carries a body, with or without Expect, so a request gets the same answer
// either way. preParsing runs after every onRequest hook (auth, rate limits,
// load shedding), whatever the registration order or the instrumentation
// wrapping the hooks. And one onSend hook there: an answer given with the body
// unread closes in stages if Node closes the connection (a proxy's HTTP/1.0).
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { sendContinue, stateOf, type ExpectationState, type Settled } from '../way-in/continue'
import type { Connections } from '../connection/close'
import { type BodyRules } from '../decision/decide'
import { bodyLength, headOf, type RequestHead } from '../decision/framing'
import { FST_ERR_CTP_BODY_TOO_LARGE } from '../decision/errors'
import { validateHeaders, type SchemaErrorFormatter } from './header-schema'
import { mediaTypeOf, parseMediaRanges, type MediaRange } from '../decision/media-type'
import { validateRouteConfig, type ResolvedOptions, type SendContinue } from '../options'
import { buildModel, type BodyModel } from '../body/model'
import { fateOf, type BodyFate } from '../body/fate'
import { holdToLimit } from '../body/limit'
import type { Internals } from '../internals/fastify'

export type ExpectCheck = (request: FastifyRequest, reply: FastifyReply) => unknown

export interface RoutePolicy extends BodyRules {
  /** The route has a header schema, and answers its errors itself (no `attachValidation`): checked before the body of expectation requests. */
  readonly headers: boolean
  readonly check: ExpectCheck | undefined
  readonly sendContinue: SendContinue
}

// done(null) keeps Fastify's payload stream as it is: passing the same one back would store it
// again on Fastify's request (a field V8 then no longer treats as constant).
type PreParsingDone = (err: Error | null, payload?: Readable) => void
type PreParsing = (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: PreParsingDone) => void
type OnSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) => void

/** What the plugin's hooks share: its options, where decisions are reported, the connections' fate, Fastify's internals. */
export interface Wiring {
  readonly options: ResolvedOptions
  readonly settled: Settled
  readonly connections: Connections
  readonly internals: Internals
}

type HookList = RouteOptions['preParsing'] | RouteOptions['onSend']

/** A route as the plugin installed it: what its hook accessors read. */
interface Installed {
  readonly route: RouteOptions
  readonly instance: FastifyInstance
  readonly wiring: Wiring
  readonly name: string
  preParsing: HookList
  onSend: HookList
  /** Once the route acts: the model its hooks read, recomputed in place at each read of a hook. */
  shared: { model: BodyModel } | undefined
}

// One getter and setter per hook for every route, each route's state under a symbol of its own
// (found through a Proxy or a copy of the route's descriptors too): accessors made per route
// (closures) turned each route object into a dictionary, and held about 2 KB a route (21 MB for
// 10,000 routes) alive for the app's life.
const kInstalled = Symbol('fastify-expect.rules')
const installedOn = (route: object): Installed | undefined => (route as { [kInstalled]?: Installed })[kInstalled]
const accessors = (hook: 'preParsing' | 'onSend'): PropertyDescriptor => ({
  get (this: object) {
    const state = installedOn(this)
    if (state === undefined) return undefined
    install(state)
    return state[hook]
  },
  set (this: object, value: HookList) {
    const state = installedOn(this)
    if (state !== undefined) state[hook] = value
    else Object.defineProperty(this, hook, { value, writable: true, enumerable: true, configurable: true })
  },
  enumerable: true,
  configurable: true
})
const HOOK_ACCESSORS = { preParsing: accessors('preParsing'), onSend: accessors('onSend') }

/**
 * From the plugin's onRoute hook. The route may still change: onRoute hooks
 * added later can set bodyLimit, schema or config, and parsers may still be
 * added. Fastify reads the route's hooks after the last onRoute hook, and binds
 * them when the app gets ready: accessors there take the route as it finally
 * stands, and compute its body model then (each read recomputes it in place).
 */
export function installRules (route: RouteOptions, instance: FastifyInstance, wiring: Wiring): void {
  const state: Installed = {
    route,
    instance,
    wiring,
    name: `${[route.method].flat().join(',')} ${route.url}`,
    preParsing: route.preParsing,
    onSend: route.onSend,
    shared: undefined
  }
  install(state) // also reports a bad config.expect at once, naming the route
  Object.defineProperty(route, kInstalled, { value: state })
  Object.defineProperties(route, HOOK_ACCESSORS)
}

/** The route's body model as the route stands now; the first time it acts, its two hooks. */
function install (state: Installed): void {
  const { route, instance, wiring, name } = state
  const { options, internals } = wiring
  // `config.expect: false`: plain Fastify on this route, parsers' limits included.
  const off = (route.config as { expect?: unknown } | undefined)?.expect === false
  const model = buildModel(policyOf(route, name, options), off ? undefined : internals.parsers(instance), instance.initialConfig.bodyLimit ?? 1024 * 1024)
  if (state.shared !== undefined) {
    state.shared.model = model
  } else if (model.acts) {
    state.shared = { model }
    const formatter = (route.schemaErrorFormatter as SchemaErrorFormatter | undefined) ?? internals.schemaErrorFormatter(instance)
    const own = (list: HookList): unknown[] => list === undefined ? [] : [list].flat()
    state.preParsing = [...own(state.preParsing), createRuleHook(state.shared, formatter, wiring)] as HookList
    state.onSend = [...own(state.onSend), createStagedClose(wiring.connections)] as HookList
  }
}

/** What the route declares, or undefined when it declares nothing the plugin applies. */
export function policyOf (route: Pick<RouteOptions, 'bodyLimit' | 'schema' | 'config' | 'attachValidation'>, name: string, options: Pick<ResolvedOptions, 'sendContinue'>): RoutePolicy | undefined {
  const expect = (route.config as { expect?: unknown } | undefined)?.expect
  const config = expect === undefined ? {} : validateRouteConfig(expect, name)
  if (config === false) return undefined
  const schema = route.schema as { body?: unknown, headers?: unknown } | undefined
  const policy: RoutePolicy = {
    contentTypes: config.contentTypes === undefined ? undefined : parseMediaRanges(config.contentTypes),
    schemaContentTypes: schemaContentTypes(schema?.body),
    bodyLimit: route.bodyLimit ?? undefined,
    // attachValidation: the route handles validation errors itself, so they are not answered early.
    headers: schema?.headers !== undefined && schema.headers !== null && route.attachValidation !== true,
    check: config.check as ExpectCheck | undefined,
    sendContinue: config.sendContinue ?? (options.sendContinue === 'after-checks' ? 'after-checks' : 'on-read')
  }
  // after-checks needs a moment between the onRequest hooks and the first read: the hook.
  const declares = policy.contentTypes !== undefined || policy.schemaContentTypes !== undefined ||
    policy.bodyLimit !== undefined || policy.headers || policy.check !== undefined || policy.sendContinue === 'after-checks'
  return declares ? policy : undefined
}

function createRuleHook (shared: { model: BodyModel }, formatter: SchemaErrorFormatter | undefined, wiring: Wiring): PreParsing {
  return function fastifyExpectRules (request, reply, payload, done) {
    const model = shared.model
    const raw = request.raw
    // HTTP/1: the request is its own head (nothing copied for each request).
    const head = raw.httpVersionMajor === 2 ? headOf(raw) : raw as RequestHead
    // Read once: on Node's request, `headers` is a getter.
    const headers = head.headers
    const state = headers.expect === undefined ? undefined : stateOf(raw)
    // An expectation request's framing was read as it arrived.
    const framing = state?.framing
    const length = framing === undefined ? bodyLength(head) : framing.hasBody ? framing.length : null
    if (!model.acts || length === null) {
      done(null)
      return
    }
    const fate = fateOf(headers, length, model)
    if (fate.action === 'reject') {
      refuse(reply, state, fate.reason, fate.error, wiring, done)
      return
    }
    const policy = model.policy
    // Without Expect, Fastify validates the headers after the body, with the same answer.
    if (state !== undefined && policy?.headers === true) {
      const error = validateHeaders(request, formatter)
      if (error !== undefined) {
        refuse(reply, state, 'headers', error, wiring, done)
        return
      }
    }
    const afterChecks = policy?.sendContinue === 'after-checks'
    const check = policy?.check
    if (check === undefined) {
      proceed(reply, payload, fate, state, afterChecks, wiring, done)
      return
    }
    let result: unknown
    // An answer the check gives itself settles the verdict as its head is written, maybe before it returns.
    if (state !== undefined) state.checking = true
    try {
      result = check(request, reply)
    } catch (error) {
      checked(state)
      refuse(reply, state, 'check', toError(error), wiring, done)
      return
    }
    if (isThenable(result)) {
      result.then(() => {
        checked(state)
        proceed(reply, payload, fate, state, afterChecks, wiring, done)
      }, (error: unknown) => {
        checked(state)
        refuse(reply, state, 'check', toError(error), wiring, done)
      })
    } else {
      checked(state)
      proceed(reply, payload, fate, state, afterChecks, wiring, done)
    }
  }
}

function checked (state: ExpectationState | undefined): void {
  if (state !== undefined) state.checking = false
}

/** The rules refuse the body unread: the answer, and the connection's end (HTTP/1) or the stream's reset (HTTP/2). */
function refuse (reply: FastifyReply, state: ExpectationState | undefined, reason: string, error: Error, { connections }: Wiring, done: PreParsingDone): void {
  if (state !== undefined) state.reason = reason
  connections.closeAfterReply(reply)
  done(error)
}

/** The body may be read: the 100 now for after-checks, and a body of unknown length held to its limit. */
function proceed (reply: FastifyReply, payload: Readable, fate: BodyFate, state: ExpectationState | undefined, afterChecks: boolean, { settled, connections }: Wiring, done: PreParsingDone): void {
  if (reply.sent) {
    // The check answered itself: Fastify's chain stops; nothing is to read the body.
    if (state !== undefined) state.reason = 'check'
    done(null)
    return
  }
  // Fastify answers 415 itself from the head, before any read: no 100, nothing to hold.
  if (fate.action !== 'read') {
    done(null)
    return
  }
  const raw = reply.request.raw
  if (state !== undefined && afterChecks) sendContinue(raw, reply.raw, state, settled)
  if (fate.limit === undefined) {
    done(null)
    return
  }
  done(null, holdToLimit(raw, payload, fate.limit, (stream) => {
    connections.closeAfterReply(reply)
    fail(stream, new FST_ERR_CTP_BODY_TOO_LARGE(), reply)
  }))
}

/** An answer may go out with the body unread (an onRequest hook's, Fastify's 415): if Node closes the connection, in stages. */
function createStagedClose (connections: Connections): OnSend {
  return function fastifyExpectStagedClose (request, reply, payload, done) {
    connections.closeInStages(request.raw, reply.raw)
    done(null)
  }
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
