// Sending the 100 Continue, the way Go's net/http does: a reader that writes the
// 100 the first time anything reads the body. In Node every body reader (a
// content-type parser, a preParsing stream, busboy, a handler on request.raw)
// ends up in the stream's _read(), so that is the one place to wait at.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { bodyFraming, headOf } from './decide'
import { parseExpect } from './expect-field'

export type RawRequest = IncomingMessage | Http2ServerRequest
export type RawResponse = ServerResponse | Http2ServerResponse

/** Where a request's expectation stands. */
export type Verdict =
  /** Arrived with an expectation; the plugin's checks have not run yet. */
  | 'pending'
  /** Checks passed: 100 goes out on the first read of the body. */
  | 'approved'
  /** Answered (or to be answered) with a final status: no 100, ever. */
  | 'rejected'
  /** Nothing for the plugin to do (HTTP/1.0, no body framed, no expectation). */
  | 'ignored'

export interface ExpectationState {
  verdict: Verdict
  continueSent: boolean
  /** Order of arrival, to tell requests already under way when a route's hooks were reordered. */
  readonly sequence: number
  /** The gate was met once where addHook put it, and deferred to the end of the list. */
  metEarly: boolean
  /** The field is a plain 100-continue (so a 100 may ever be sent). */
  readonly expectsContinue: boolean
  readonly response: RawResponse | undefined
}

export const kExpectation = Symbol('fastify-expect.state')

declare module 'node:http' {
  interface IncomingMessage { [kExpectation]?: ExpectationState }
}
declare module 'node:http2' {
  interface Http2ServerRequest { [kExpectation]?: ExpectationState }
}

export function stateOf (request: RawRequest): ExpectationState | undefined {
  return request[kExpectation]
}

/** Records the expectation and, with a response to write to, waits for the first read. */
let lastSequence = 0

/** The sequence number of the latest expectation request tracked. */
export function currentSequence (): number {
  return lastSequence
}

export function trackExpectation (request: RawRequest, response: RawResponse | undefined): ExpectationState {
  const expectsContinue = parseExpect(request.headers.expect).kind === 'continue'
  const state: ExpectationState = { verdict: 'pending', continueSent: false, sequence: ++lastSequence, metEarly: false, expectsContinue, response }
  request[kExpectation] = state
  if (response !== undefined) {
    keepOpenWithoutBody(request, response)
    sendOnFirstRead(request, state)
  }
  return state
}

/**
 * Node keeps no connection alive after a final response to a request that
 * expected 100 without getting it, body or not. With no body framed there is
 * nothing the client could still send, so the connection stays usable, whoever answers.
 */
function keepOpenWithoutBody (request: RawRequest, response: RawResponse): void {
  const framing = bodyFraming(headOf(request))
  const node = response as { _expect_continue?: boolean }
  if (typeof framing !== 'string' && !framing.hasBody && node._expect_continue === true) node._expect_continue = false
}

function sendOnFirstRead (request: RawRequest, state: ExpectationState): void {
  // An own _read shadows the prototype's for this one request. After the first
  // read it points back to the prototype's: deleting it would put the request
  // object in V8's slow dictionary mode for the rest of its life.
  const stream = request as unknown as { _read (size: number): void }
  const read = stream._read
  stream._read = function readAfterContinue (this: typeof stream, size: number) {
    this._read = read
    // 'pending' here means no gate ran (a route the plugin never saw): behave as Go does.
    if (state.verdict === 'approved' || (state.verdict === 'pending' && state.expectsContinue)) sendContinue(request, state)
    return read.call(this, size)
  }
}

/**
 * Writes the 100 unless it would be wrong: at most once, never once the final
 * response has begun, and not when the client has started sending without it
 * (RFC 9110 §10.1.1 lets the server omit the 100 then).
 */
export function sendContinue (request: RawRequest, state: ExpectationState): void {
  const response = state.response
  if (response === undefined || state.continueSent || response.headersSent || response.writableEnded) return
  if (request.readableLength > 0 || request.complete) return
  state.continueSent = true
  response.writeContinue()
}
