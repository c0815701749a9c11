// Unknown routes: the not-found handler answers before the body is read, with
// or without Expect (Fastify would read and parse it first, and answer 400 or
// 413 for what it could not parse). One preParsing hook on the not-found
// context(s), given through setNotFoundHandler's options, which Fastify binds
// like a route's own hooks; requests that match a route never meet it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { stateOf } from '../way-in/continue'
import { bodyFraming, headOf } from '../decision/decide'
import type { Linger } from '../connection/linger'
import { isThenable, keepNoBody } from './route-rules'

type SetNotFoundHandler = FastifyInstance['setNotFoundHandler']
type Options = Record<string, unknown> & { preParsing?: unknown }

export function refuseUnknownRoutes (fastify: FastifyInstance, linger: Linger, warn: (message: string) => void): void {
  const fastifyExpectNotFound = createNotFoundHook(linger)
  const original = fastify.setNotFoundHandler as (...args: unknown[]) => FastifyInstance
  const withHook = (options: unknown): Options => {
    const own = typeof options === 'object' && options !== null ? options as Options : {}
    const hooks = own.preParsing === undefined ? [] : [own.preParsing].flat()
    return { ...own, preParsing: [...hooks, fastifyExpectNotFound] }
  }
  // Handlers set later, at the root or under a prefix, get the hook too.
  fastify.setNotFoundHandler = function setNotFoundHandler (this: FastifyInstance, options?: unknown, handler?: unknown) {
    if (typeof options === 'function') return original.call(this, withHook({}), options)
    return original.call(this, withHook(options), handler)
  } as SetNotFoundHandler
  try {
    // No handler: Fastify keeps its own default one and lets the app set its own later.
    original.call(fastify, withHook({}))
  } catch (error) {
    warn(`fastify-expect: ${(error as Error).message}: register fastify-expect before setNotFoundHandler() for unknown routes to be answered before their body`)
  }
}

function createNotFoundHook (linger: Linger) {
  return function fastifyExpectNotFound (request: FastifyRequest, reply: FastifyReply, payload: Readable, done: (err: Error | null, payload?: Readable) => void): void {
    const framing = bodyFraming(headOf(request.raw))
    if (typeof framing === 'string' || !framing.hasBody) {
      done(null, payload)
      return
    }
    const state = stateOf(request.raw)
    if (state !== undefined) state.reason = 'not-found'
    keepNoBody(reply, linger)
    // The not-found handler, without a body parsed first; Fastify's chain stops here.
    const handler = request.routeOptions.handler as (this: unknown, request: FastifyRequest, reply: FastifyReply) => unknown
    let result: unknown
    try {
      result = handler.call(request.server, request, reply)
    } catch (error) {
      reply.send(error)
      return
    }
    if (isThenable(result)) {
      result.then((value) => { if (value !== undefined && !reply.sent) reply.send(value) }, (error: unknown) => { reply.send(error) })
    } else if (result !== undefined && !reply.sent) {
      reply.send(result)
    }
  }
}
