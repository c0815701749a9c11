// fastify-expect/gateway: forwarding uploads so that the client gets the
// UPSTREAM's verdict on `Expect: 100-continue` before it sends its body.
// - `forwardExpectation(request, reply, options)`: forward one request from a
//   Fastify handler (like reply-from's `reply.from()`), over node:http.
// - `expectContinueHandler(options)`: a `handler` for @fastify/http-proxy that
//   takes the expectation requests and leaves every other request to reply.from().
// - `planForward(request, upstream, target?)` and `callUpstream(call)`: the checks
//   and the upstream leg alone, for a plain node:http gateway.
// Every form refuses (400) what cannot be forwarded intact (planForward): a target
// leaving the upstream's base path, framing that cannot be kept.
// The gateway's own server must not answer 100 by itself: register fastify-expect
// on it (its 100 goes out on the first read of the body, which happens here only
// once the upstream asked for it).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { callUpstream, DEFAULT_CONTINUE_TIMEOUT, DEFAULT_UPSTREAM_TIMEOUT, type UpstreamAnswer, type UpstreamTimeouts } from './forward'
import {
  FST_ERR_EXPECT_GATEWAY_FRAMING,
  FST_ERR_EXPECT_GATEWAY_TARGET,
  FST_ERR_EXPECT_GATEWAY_TIMEOUT,
  FST_ERR_EXPECT_GATEWAY_UPSTREAM
} from './errors'
import { framedHeaders, forwardFraming } from './framing'
import { endToEndHeaders, expectsContinue, upstreamRequestHeaders } from './headers'
import { planForward, type ForwardPlan } from './plan'
import { upstreamTarget } from './target'

export interface ForwardOptions extends UpstreamTimeouts {
  /** The upstream's origin, e.g. `http://127.0.0.1:3001`, with an optional base path the targets must stay in. */
  upstream: string | URL
  /**
   * Path and query on the upstream; default the request's own URL. Checked as
   * the request's own (see target.ts): encode what comes from the request
   * (`'/upload/' + encodeURIComponent(request.params.name)`).
   */
  url?: string
  /** As reply-from's: change the fields sent upstream. */
  rewriteRequestHeaders?: (request: FastifyRequest, headers: IncomingHttpHeaders) => IncomingHttpHeaders
  /** As reply-from's: change the upstream's response fields before they are relayed. */
  rewriteHeaders?: (headers: IncomingHttpHeaders, request: FastifyRequest) => IncomingHttpHeaders
  /** As reply-from's: answer an upstream failure (default `reply.send(error)`: 502 or 504). */
  onError?: (reply: FastifyReply, failure: { error: Error }) => void
}

/**
 * Forwards the request upstream and relays the answer. The route must leave its
 * body unread: `request.body` undefined or the raw stream, as @fastify/http-proxy's
 * pass-through parser leaves it. Returns the reply, as `reply.from()` does.
 */
export function forwardExpectation (request: FastifyRequest, reply: FastifyReply, options: ForwardOptions): FastifyReply {
  const raw = request.raw
  const fail = (error: Error): void => {
    /* c8 ignore next -- the client left and Fastify already ended the reply */
    if (reply.sent) return
    // The upstream's address and the cause go to the log; the client sees the code only.
    if ((error as { statusCode?: number }).statusCode !== 400) request.log.warn({ err: error, upstream: String(options.upstream) }, 'fastify-expect/gateway: upstream failed')
    if (options.onError !== undefined) options.onError(reply, { error })
    else reply.send(error)
  }
  let plan: ForwardPlan
  let body: { stream: Readable, read: boolean }
  try {
    plan = planForward(raw, options.upstream, options.url)
    body = bodyOf(request)
  } catch (error) {
    // Nothing went upstream; the client's unread body cannot be told from a next request.
    if (raw.httpVersionMajor === 1) reply.header('connection', 'close')
    reply.send(error)
    return reply
  }

  let headers = plan.headers
  if (options.rewriteRequestHeaders !== undefined) headers = options.rewriteRequestHeaders(request, headers as IncomingHttpHeaders)
  // A body a parser already read goes up as read, with its own length.
  const framing = body.read ? { hasBody: true, length: Buffer.byteLength(request.body as string | Buffer) } : plan.framing

  callUpstream({
    url: plan.url,
    method: raw.method as string,
    headers,
    body: body.stream,
    // A body already read has nothing left to ask permission for.
    expectContinue: !body.read && plan.expectContinue,
    framing,
    clientResponse: reply.raw,
    continueTimeout: options.continueTimeout,
    timeout: options.timeout,
    agent: options.agent
  }).then((answer) => {
    try {
      relay(request, reply, answer, options, fail)
    } catch (error) { // a throwing rewriteHeaders
      answer.response.destroy()
      fail(error as Error)
    }
  }, fail)
  return reply
}

function relay (request: FastifyRequest, reply: FastifyReply, answer: UpstreamAnswer, options: ForwardOptions, fail: (error: Error) => void): void {
  const { response } = answer
  // The client went away (a finished request stream is destroyed too: look at the response).
  /* c8 ignore next 4 -- the client leaving in the same turn as the response head arrives */
  if (reply.sent || reply.raw.destroyed) {
    response.destroy()
    return
  }
  let headers = endToEndHeaders(response.headers) as IncomingHttpHeaders
  if (options.rewriteHeaders !== undefined) headers = options.rewriteHeaders(headers, request)
  try {
    reply.code(response.statusCode as number)
  } catch (error) {
    response.destroy()
    fail(new FST_ERR_EXPECT_GATEWAY_UPSTREAM(`invalid status ${String(response.statusCode)}`, { cause: error }))
    return
  }
  reply.headers(headers)
  // A body left unread (or half read) makes the client connection unusable for a next request.
  if (request.raw.httpVersionMajor === 1 && !answer.bodySent()) reply.header('connection', 'close')
  reply.send(response)
}

/** The body to send up: the unread stream, or what a parser already read (then the 100 is long gone). */
function bodyOf (request: FastifyRequest): { stream: Readable, read: boolean } {
  const body = request.body as { pipe?: unknown } | undefined | null
  if (body === undefined || body === null) return { stream: request.raw as unknown as Readable, read: false }
  if (typeof body.pipe === 'function') return { stream: body as unknown as Readable, read: false }
  // Fastify's own text/plain parser runs even under @fastify/http-proxy.
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { stream: Readable.from([body]), read: true }
  throw new TypeError('fastify-expect/gateway: the route parsed the body into an object; forward from a route whose parser passes the stream through (as @fastify/http-proxy does)')
}

/** The options @fastify/http-proxy hands its `handler` (its `replyOptions`, as reply-from takes them). */
export interface ProxyReplyOptions {
  getUpstream?: (request: FastifyRequest, base: string) => string
  rewriteRequestHeaders?: ForwardOptions['rewriteRequestHeaders']
  rewriteHeaders?: ForwardOptions['rewriteHeaders']
  onError?: ForwardOptions['onError']
}

export interface ExpectContinueHandlerOptions extends UpstreamTimeouts {
  /** The same upstream as @fastify/http-proxy's `upstream` (its `replyOptions.getUpstream` wins, as there). */
  upstream: string
}

/** @fastify/http-proxy's `handler` signature; its options are reply-from's (typed loosely: the packages stay optional). */
type ProxyHandler = (request: FastifyRequest, reply: FastifyReply, dest: string, options: object) => FastifyReply

/**
 * A `handler` for @fastify/http-proxy: requests with `Expect: 100-continue` or a
 * body are forwarded here (the upstream decides before the body; the body goes up
 * framed, whatever the method), bodyless ones go to `reply.from()` as without it.
 * Every request is checked as planForward checks it first (400 otherwise).
 * Prefix rewriting, `rewriteRequestHeaders`, `rewriteHeaders`, `getUpstream` and
 * `onError` apply to both.
 */
export function expectContinueHandler (options: ExpectContinueHandlerOptions): ProxyHandler {
  return function expectContinueProxyHandler (request, reply, dest, proxyOptions) {
    const replyOptions = proxyOptions as ProxyReplyOptions
    const upstream = replyOptions.getUpstream?.(request, options.upstream) ?? options.upstream
    const query = request.url.indexOf('?')
    const url = query === -1 ? dest : dest + request.url.slice(query)
    const from = (reply as { from?: (dest: string, options: ProxyReplyOptions) => FastifyReply }).from
    if (typeof from === 'function' && !expectsContinue(request.headers)) {
      let framing
      try {
        framing = forwardFraming(request.raw)
        upstreamTarget(upstream, url)
      } catch (error) {
        if (request.raw.httpVersionMajor === 1) reply.header('connection', 'close')
        return reply.send(error)
      }
      if (!framing.hasBody) return from.call(reply, dest, replyOptions)
    }
    return forwardExpectation(request, reply, {
      ...options,
      upstream,
      url,
      rewriteRequestHeaders: replyOptions.rewriteRequestHeaders,
      rewriteHeaders: replyOptions.rewriteHeaders,
      onError: replyOptions.onError
    })
  }
}

export { callUpstream, DEFAULT_CONTINUE_TIMEOUT, DEFAULT_UPSTREAM_TIMEOUT }
export { FST_ERR_EXPECT_GATEWAY_FRAMING, FST_ERR_EXPECT_GATEWAY_TARGET, FST_ERR_EXPECT_GATEWAY_TIMEOUT, FST_ERR_EXPECT_GATEWAY_UPSTREAM }
export { endToEndHeaders, expectsContinue, framedHeaders, forwardFraming, planForward, upstreamRequestHeaders, upstreamTarget }
export type { UpstreamAnswer, UpstreamCall, UpstreamTimeouts } from './forward'
export type { ClientHead, Framing } from './framing'
export type { ForwardPlan } from './plan'
