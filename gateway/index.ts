// fastify-expect/gateway: forwarding uploads so that the client gets the
// UPSTREAM's verdict on `Expect: 100-continue` before it sends its body.
// - `forwardExpectation(request, reply, options)`: forward one request from a
//   Fastify handler (like reply-from's `reply.from()`), over node:http.
// - `expectContinueHandler(options)`: a `handler` for @fastify/http-proxy that
//   takes the expectation requests and leaves every other request to reply.from().
// - `callUpstream(call)`: the upstream leg alone, for a plain node:http gateway.
// The gateway's own server must not answer 100 by itself: register fastify-expect
// on it (its 100 goes out on the first read of the body, which happens here only
// once the upstream asked for it).
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { callUpstream, DEFAULT_CONTINUE_TIMEOUT, DEFAULT_UPSTREAM_TIMEOUT, type UpstreamAnswer, type UpstreamTimeouts } from './forward'
import { FST_ERR_EXPECT_GATEWAY_TIMEOUT, FST_ERR_EXPECT_GATEWAY_UPSTREAM } from './errors'
import { announcesBody, endToEndHeaders, expectsContinue, upstreamRequestHeaders } from './headers'

export interface ForwardOptions extends UpstreamTimeouts {
  /** The upstream's origin, e.g. `http://127.0.0.1:3001`. */
  upstream: string | URL
  /** Path and query on the upstream; default the request's own URL. */
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
    if (options.onError !== undefined) options.onError(reply, { error })
    else reply.send(error)
  }
  const body = bodyOf(request)
  const base = new URL(options.upstream)
  const path = options.url ?? (raw.url as string)
  // As reply-from: a path never overrides the upstream's origin.
  const url = new URL(path.startsWith('//') ? `.${path}` : path, base)
  if (url.origin !== base.origin) throw new Error(`fastify-expect/gateway: ${JSON.stringify(path)} leaves the upstream ${base.origin}`)

  let headers = upstreamRequestHeaders(raw.headers, url.host)
  if (options.rewriteRequestHeaders !== undefined) headers = options.rewriteRequestHeaders(request, headers as IncomingHttpHeaders)
  if (body.read) headers['content-length'] = Buffer.byteLength(request.body as string | Buffer)

  callUpstream({
    url,
    method: raw.method as string,
    headers,
    body: body.stream,
    // A body already read has nothing left to ask permission for; HTTP/1.0 has no 100.
    expectContinue: !body.read && !(raw.httpVersionMajor === 1 && raw.httpVersionMinor === 0) && expectsContinue(raw.headers),
    hasBody: announcesBody(raw.headers, http2EndStream(raw)),
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

/** HTTP/2: whether the HEADERS frame ended the stream (no body); undefined over HTTP/1. */
function http2EndStream (raw: FastifyRequest['raw']): boolean | undefined {
  return (raw as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders
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
 * A `handler` for @fastify/http-proxy: requests with `Expect: 100-continue` are
 * forwarded here (the upstream decides before the body), all others go to
 * `reply.from()` as without it. Prefix rewriting, `rewriteRequestHeaders`,
 * `rewriteHeaders`, `getUpstream` and `onError` apply to both.
 */
export function expectContinueHandler (options: ExpectContinueHandlerOptions): ProxyHandler {
  return function expectContinueProxyHandler (request, reply, dest, proxyOptions) {
    const replyOptions = proxyOptions as ProxyReplyOptions
    const from = (reply as { from?: (dest: string, options: ProxyReplyOptions) => FastifyReply }).from
    if (!expectsContinue(request.headers) && typeof from === 'function') return from.call(reply, dest, replyOptions)
    const upstream = replyOptions.getUpstream?.(request, options.upstream) ?? options.upstream
    const query = request.url.indexOf('?')
    return forwardExpectation(request, reply, {
      ...options,
      upstream,
      url: query === -1 ? dest : dest + request.url.slice(query),
      rewriteRequestHeaders: replyOptions.rewriteRequestHeaders,
      rewriteHeaders: replyOptions.rewriteHeaders,
      onError: replyOptions.onError
    })
  }
}

export { callUpstream, DEFAULT_CONTINUE_TIMEOUT, DEFAULT_UPSTREAM_TIMEOUT, FST_ERR_EXPECT_GATEWAY_TIMEOUT, FST_ERR_EXPECT_GATEWAY_UPSTREAM }
export { announcesBody, endToEndHeaders, expectsContinue, upstreamRequestHeaders }
export type { UpstreamAnswer, UpstreamCall, UpstreamTimeouts } from './forward'
