// Unknown routes: the not-found handler answers before the body is read, with
// or without Expect (Fastify would read and parse it first, and answer 400 or
// 413 for what it could not parse). One preParsing hook on the not-found
// context(s), given through setNotFoundHandler's options, which Fastify binds
// like a route's own hooks; requests that match a route never meet it.
//
// The default handler's hook is set through Fastify's own setNotFoundHandler
// (internals/fastify.ts), not through a wrapper in its place: @fastify/otel,
// registered first, wraps setNotFoundHandler and would wrap the absent handler
// too, which replaces Fastify's default 404 and drops the hook. Handlers the
// app sets later go through whatever wrapper is in place, with the hook added.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { stateOf } from '../way-in/continue'
import { bodyFraming, headOf } from '../decision/framing'
import type { Connections } from '../connection/close'
import type { Internals } from '../internals/fastify'
import { isThenable } from './route-rules'

type SetNotFoundHandler = FastifyInstance['setNotFoundHandler']
type Options = Record<string, unknown> & { preParsing?: unknown }

export function refuseUnknownRoutes (fastify: FastifyInstance, connections: Connections, internals: Internals, warn: (message: string) => void): void {
  const fastifyExpectNotFound = createNotFoundHook(connections)
  const inPlace = fastify.setNotFoundHandler as (...args: unknown[]) => FastifyInstance
  const withHook = (options: unknown): Options => {
    const own = typeof options === 'object' && options !== null ? options as Options : {}
    const hooks = own.preParsing === undefined ? [] : [own.preParsing].flat()
    return { ...own, preParsing: [...hooks, fastifyExpectNotFound] }
  }
  // Handlers set later, at the root or under a prefix, get the hook too.
  fastify.setNotFoundHandler = function setNotFoundHandler (this: FastifyInstance, options?: unknown, handler?: unknown) {
    if (typeof options === 'function') return inPlace.call(this, withHook({}), options)
    return inPlace.call(this, withHook(options), handler)
  } as SetNotFoundHandler
  try {
    // No handler: Fastify keeps its own default one and lets the app set its own later.
    (internals.setNotFoundHandler ?? inPlace).call(fastify, withHook({}))
  } catch (error) {
    warn(`fastify-expect: ${(error as Error).message}: register fastify-expect before setNotFoundHandler() for unknown routes to be answered before their body`)
  }
}

function createNotFoundHook (connections: Connections) {
  return function fastifyExpectNotFound (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: (err: Error | null, payload?: Readable) => void): void {
    const framing = bodyFraming(headOf(request.raw))
    if (typeof framing === 'string' || !framing.hasBody) {
      done(null)
      return
    }
    const state = stateOf(request.raw)
    if (state !== undefined) state.reason = 'not-found'
    connections.closeAfterReply(reply)
    // The not-found handler, without a body parsed first; Fastify's chain stops here.
    const handler = request.routeOptions.handler as (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown
    let result: unknown
    try {
      result = handler.call(request.server, request, reply)
    } catch (error) {
      reply.send(error)
      return
    }
    // As Fastify's wrapThenable: a resolved value is the answer unless the handler sent one.
    if (isThenable(result)) {
      result.then((value) => { if (value !== undefined && !reply.sent) reply.send(value) }, (error: unknown) => { reply.send(error) })
    } else if (result !== undefined && !reply.sent) {
      reply.send(result)
    }
  }
}
