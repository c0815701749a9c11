// The onRequest-stage handler: runs the decision for a request that carries an
// expectation, answers rejections through Fastify (error handler, onSend,
// onResponse, logs), and lets accepted uploads through to their first read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { currentSequence, sendContinue, stateOf, trackExpectation, type ExpectationState, type RawRequest } from './continue'
import { bodyFraming, decide, headOf, type Decision } from './decide'
import { createGatedRoutes, type GatedRoutes } from './dispatch'
import { bodylessMethodsOf, contentTypeParsersOf, routeContextOf, type OnRequestHook, type RouteContext } from './fastify-internals'
import type { ResolvedOptions } from './options'
import { derivePolicy, notFoundPolicy, type RoutePolicy } from './route-policy'

/** Where onRoute leaves a route's policy: in its config, which Fastify copies into the route context. */
export const kPolicy = Symbol('fastify-expect.policy')

type Done = (err?: Error) => void

export interface Gate {
  readonly hook: OnRequestHook
  readonly routes: GatedRoutes
}

export function createGate (options: ResolvedOptions): Gate {
  const policies = new WeakMap<RouteContext, RoutePolicy>()
  const routes = createGatedRoutes()

  /** Routes whose gate moved to the end of their list, with the last request already under way then. */
  const moved = new WeakMap<RouteContext, number>()

  function fastifyExpectGate (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: Done): void {
    const context = routeContextOf(request)
    const raw = request.raw
    let state = stateOf(raw)
    if (state === undefined && raw.headers.expect !== undefined) {
      state = trackExpectation(raw, undefined) // a request the server did not tag (HTTP/1.0)
    }
    if (!policies.has(context)) captureRoute(context, request)
    if (state === undefined || state.verdict !== 'pending') {
      done()
      return
    }
    // Requests already going through Fastify's own list when the gate moved meet it
    // twice, where addHook put it and at the end: they decide at the end, as all later ones do.
    const movedAfter = moved.get(context)
    if (movedAfter !== undefined && state.sequence <= movedAfter && !state.metEarly) {
      state.metEarly = true
      done()
      return
    }
    const policy = policies.get(context) as RoutePolicy
    act(decide(headOf(raw), policy), policy, request, reply, state, done)
  }

  /** A route's first request: derive its policy once and take the gate out of its list. */
  function captureRoute (context: RouteContext, request: FastifyRequest): void {
    const running = context.onRequest as OnRequestHook[]
    const bound = running.find(isGate)
    const policy = policyOf(context, request, options)
    policies.set(context, policy)
    // A plugin that wraps every hook (tracing) hides the gate: it then stays in the list.
    if (bound === undefined) return
    routes.add(context, bound, policy.enabled ? 'last' : 'first')
    // Fastify's own list goes on serving the requests already under way: they too
    // must meet the gate after the route's other hooks.
    if (policy.enabled && running[running.length - 1] !== bound) {
      running.push(bound)
      moved.set(context, currentSequence())
    }
  }

  function act (decision: Decision, policy: RoutePolicy, request: FastifyRequest, reply: FastifyReply, state: ExpectationState, done: Done): void {
    switch (decision.action) {
      case 'ignore':
        state.verdict = 'ignored'
        done()
        return
      case 'no-body':
        state.verdict = 'ignored'
        done()
        return
      case 'continue-now':
        state.verdict = 'approved'
        sendContinue(request.raw, state)
        done()
        return
      case 'not-found':
        refuse(request, reply, state, 'not-found', undefined)
        answerNotFound(request, reply)
        return
      case 'reject':
        refuse(request, reply, state, decision.reason, decision.error)
        done(decision.error)
        return
      case 'continue':
        runRouteChecks(policy, request, reply, state, done)
    }
  }

  /** Checks that need Fastify's request: the route's header schema, then its own check. */
  function runRouteChecks (policy: RoutePolicy, request: FastifyRequest, reply: FastifyReply, state: ExpectationState, done: Done): void {
    const headerError = validateHeaders(request)
    if (headerError !== undefined) {
      refuse(request, reply, state, 'headers', headerError)
      done(headerError)
      return
    }
    const approve = (): void => {
      state.verdict = 'approved'
      if (policy.sendContinue === 'after-checks') sendContinue(request.raw, state)
      done()
    }
    if (policy.check === undefined) {
      approve()
      return
    }
    const fail = (error: unknown): void => {
      const err = toError(error)
      refuse(request, reply, state, 'check', err)
      done(err)
    }
    let result: unknown
    try {
      result = policy.check(request, reply)
    } catch (error) {
      fail(error)
      return
    }
    const settle = (): void => {
      if (reply.sent) refuse(request, reply, state, 'check', undefined) // the check answered itself
      else approve()
    }
    if (isThenable(result)) result.then(settle, fail)
    else settle()
  }

  function refuse (request: FastifyRequest, reply: FastifyReply, state: ExpectationState, reason: string, error: Error | undefined): void {
    state.verdict = 'rejected'
    // The client may still send the body it announced: its bytes must never be
    // read as a next request, so this connection ends with this response.
    if (request.raw.httpVersionMajor === 1 && !reply.raw.headersSent && announcesBody(request.raw)) reply.raw.setHeader('connection', 'close')
    const declared = request.headers['content-length']
    request.log[options.rejectionLogLevel]({
      expect: {
        reason,
        statusCode: (error as { statusCode?: number } | undefined)?.statusCode,
        // Bytes the client did not have to send.
        declaredLength: declared === undefined ? undefined : Number(declared)
      }
    }, `upload refused before its body: ${error?.message ?? reason}`)
  }

  const isGate = (hook: OnRequestHook): boolean =>
    hook === fastifyExpectGate || hook.name === `bound ${fastifyExpectGate.name}`

  return { hook: fastifyExpectGate, routes }
}

function policyOf (context: RouteContext, request: FastifyRequest, options: ResolvedOptions): RoutePolicy {
  const server = context.server
  const bodyless = bodylessMethodsOf(server)
  if (request.is404) return notFoundPolicy(context.contentTypeParser, server.initialConfig.bodyLimit as number, options, bodyless)
  const known = context.config[kPolicy] as RoutePolicy | undefined
  if (known !== undefined) return known
  // A route declared before the plugin's onRoute hook existed (`register()` not awaited):
  // derive the same policy from its context, once.
  const declaration = {
    method: context.config.method,
    url: context.config.url,
    bodyLimit: context._parserOptions.limit,
    schema: (context as { schema?: { body?: unknown } }).schema
  }
  const derive = (expect: unknown): RoutePolicy => derivePolicy({ ...declaration, expect }, contentTypeParsersOf(server), server.initialConfig.bodyLimit as number, options, bodyless)
  try {
    return derive(context.config.expect)
  } catch (error) {
    // Too late to fail registration: say so once, and leave the route as Node would.
    request.log.error({ err: error }, 'fastify-expect: invalid config.expect; the plugin is off for this route')
    return derive(false)
  }
}

function announcesBody (raw: RawRequest): boolean {
  const framing = bodyFraming(headOf(raw))
  return typeof framing === 'string' || framing.hasBody
}

/**
 * The route's compiled header schema, run before the body instead of after it,
 * read the way Fastify reads a validator's answer (lib/validation.js): `false`
 * with `.errors` (Ajv), `{ error }` or `{ value }` (TypeBox, Zod and other
 * compilers), or a promise, which is left to Fastify's own pass after the body.
 */
function validateHeaders (request: FastifyRequest): Error | undefined {
  const context = routeContextOf(request)
  const validate = request.getValidationFunction('headers') as HeaderValidator | undefined
  if (validate === undefined || context.attachValidation) return undefined
  // A copy: validators may remove, default or coerce properties (Ajv's removeAdditional,
  // useDefaults, coerceTypes), and the framing headers Fastify reads next must stay as
  // sent. Fastify runs its own pass, with its usual effects, after the body.
  const headers = { ...request.headers }
  let answer: unknown
  try {
    answer = validate.schemaEnv === undefined
      ? validate(headers)
      : validate(headers, { parentData: { headers }, parentDataProperty: 'headers' })
  } catch (error) {
    return Object.assign(error as Error, { statusCode: 500 })
  }
  if (isThenable(answer)) return undefined
  const failure = answer === false ? validate.errors : (answer as { error?: unknown } | null)?.error
  if (failure === undefined || failure === null) return undefined
  // As Fastify's own validation errors (wrapValidationError).
  const error = (failure instanceof Error ? failure : context.schemaErrorFormatter(failure, 'headers')) as Error & Record<string, unknown>
  error.statusCode ??= 400
  error.code ??= 'FST_ERR_VALIDATION'
  if (!(failure instanceof Error)) error.validation = failure
  error.validationContext ??= 'headers'
  return error
}

type HeaderValidator = ((data: unknown, context?: object) => unknown) & { errors?: unknown, schemaEnv?: unknown }

/** Fastify's not-found handler for this request, without parsing a body first. */
function answerNotFound (request: FastifyRequest, reply: FastifyReply): void {
  const context = routeContextOf(request)
  let result: unknown
  try {
    result = context.handler.call(context.server, request, reply)
  } catch (error) {
    reply.send(error)
    return
  }
  if (isThenable(result)) {
    result.then((payload) => {
      if (payload !== undefined && !reply.sent) reply.send(payload)
    }, (error: unknown) => { reply.send(error) })
  } else if (result !== undefined && !reply.sent) {
    reply.send(result)
  }
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

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

