// Sending the 100 Continue the way Go's net/http does: the request stream writes
// it the first time anything reads the body. Every body reader in Node (a
// content-type parser, a preParsing stream, busboy, a handler on request.raw)
// ends up in the stream's _read(), so that is the one place to wait at: every
// onRequest hook (auth, rate limits) and Fastify's own early checks (415 with no
// parser, 413 by Content-Length) have run by then, and a refusal from any of
// them goes out with no 100 and no body sent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { Framing } from '../decision/framing'
import type { Connections } from '../connection/close'
import { finishFirstRead, headHeard, holdFirstRead, nodeHttp, onHeadWritten } from '../internals/node'

export type RawRequest = IncomingMessage | Http2ServerRequest
export type RawResponse = ServerResponse | Http2ServerResponse

/** Where a request's expectation stands. */
export type Verdict =
  /** Waiting: nothing has read the body or answered yet. */
  | 'pending'
  /** The body was asked for: a 100 went out, or the client had started sending without waiting. */
  | 'continued'
  /** A final status of 400 or more went out before the body was asked for. */
  | 'refused'
  /** 417: an expectation other than 100-continue. */
  | 'expectation-failed'
  /** Nothing to decide: no body framed, or an answer below 400 that never needed the body. */
  | 'ignored'

export interface ExpectationState {
  verdict: Verdict
  /** Why, once settled: `body-limit`, `media-type`, `headers`, `check`, `not-found`, `hook`, ... */
  reason: string | undefined
  continueSent: boolean
  readonly declaredLength: number | undefined
  /** What the head says about the body, as decided at arrival (the route's rules read it again). */
  readonly framing: Framing | undefined
  /** The app that took the request: where its verdict is reported, how its connection ends. */
  readonly app: ExpectationApp
  /** Its verdict settles as its answer's head is written (onHeadWritten), not on a 'finish' listener. */
  settlesAtHead: boolean
  /** The route's check is running: an answer given now is the check's (it may answer before returning). */
  checking: boolean
}

export interface ExpectationApp {
  readonly settled: Settled
  readonly connections: Pick<Connections, 'answered' | 'closeAfterHead' | 'closeInStages'>
}

/** What is reported of a settled verdict. */
export type SettledState = Readonly<Pick<ExpectationState, 'verdict' | 'reason' | 'continueSent' | 'declaredLength'>>

/** Called once per expectation request, when its verdict settles. */
export type Settled = (request: RawRequest, response: RawResponse | undefined, state: SettledState) => void

// Beside the request, not on it: a property added to Node's request objects gives
// them another hidden class, and Node's own stream code, shared by every request,
// then meets more shapes (slower for the plain requests that follow). And the
// state holds nothing that leads back to the request (its response does): V8's
// young-generation collector keeps a WeakMap entry whose value reaches its key
// alive, so every request would be promoted to the old generation, work left
// for a full collection that the requests after it pay for.
const states = new WeakMap<RawRequest, ExpectationState>()

export function stateOf (request: RawRequest): ExpectationState | undefined {
  return states.get(request)
}

export function track (request: RawRequest, app: ExpectationApp, declaredLength: number | undefined, verdict: Verdict, reason?: string, framing?: Framing): ExpectationState {
  const state: ExpectationState = { verdict, reason, continueSent: false, declaredLength, framing, app, settlesAtHead: false, checking: false }
  states.set(request, state)
  return state
}

export function settle (request: RawRequest, response: RawResponse | undefined, state: ExpectationState, verdict: Verdict, reason: string | undefined, settled: Settled): void {
  if (state.verdict !== 'pending') return
  state.verdict = verdict
  state.reason ??= reason
  settled(request, response, state)
}

/** Waits for the first read of the body, and settles the verdict if the answer comes first. */
export function continueOnFirstRead (request: RawRequest, response: RawResponse, state: ExpectationState): void {
  const { settled, connections } = state.app
  // The one place where the body's first read is seen (admission control hooks here too).
  holdFirstRead(request, (proceed) => {
    sendContinue(request, response, state, settled)
    proceed()
  })
  // Node's HTTP/1 response: heard of as its head is written (answeredAtHead), or now if an
  // app's listener on checkContinue answered before the plugin's.
  if (headHeard(response)) {
    state.settlesAtHead = true
    if (response.headersSent) atHead(request, response, state)
    return
  }
  // Elsewhere (HTTP/2, another runtime's or the app's own response class or writeHead): once it
  // finishes; an HTTP/1 connection is marked for the staged close now, until its answer is out.
  if (request.httpVersionMajor === 1) connections.closeInStages(request, response)
  response.on('finish', () => {
    answered(request, response, state)
  })
}

/** The answer is given: nothing waits for the first read any more, and a final status given first settles the verdict. */
function answered (request: RawRequest, response: RawResponse, state: ExpectationState): void {
  finishFirstRead(request)
  state.app.connections.answered(request, response)
  const status = response.statusCode
  // An answer given while the route's check runs is the check's, whatever its status.
  const reason = state.checking ? 'check' : status >= 400 ? reasonOf(status) : 'answered-without-body'
  settle(request, response, state, status >= 400 ? 'refused' : 'ignored', reason, state.app.settled)
}

/** The answer's head is written: Node may end the connection after it, and a verdict may settle. */
function atHead (request: RawRequest, response: RawResponse, state: ExpectationState): void {
  // Node ends the connection after this answer (a refusal, a final status owed a 100).
  if (nodeHttp.isLast(response as ServerResponse)) state.app.connections.closeAfterHead(request)
  if (state.settlesAtHead) {
    state.settlesAtHead = false
    answered(request, response, state)
  }
}

onHeadWritten(function answeredAtHead (response) {
  const request = response.req as RawRequest | undefined
  const state = request == null ? undefined : states.get(request)
  if (state !== undefined) atHead(request as RawRequest, response, state)
})

/**
 * Asks for the body: writes the 100 unless it would be wrong (a final answer
 * has begun) or useless (the client has started sending without waiting,
 * which RFC 9110 §10.1.1 lets the server take as the answer).
 */
export function sendContinue (request: RawRequest, response: RawResponse, state: ExpectationState, settled: Settled): void {
  if (state.verdict !== 'pending' || response.headersSent || response.writableEnded) return
  if (request.readableLength === 0 && !request.complete) {
    state.continueSent = true
    response.writeContinue()
  }
  settle(request, response, state, 'continued', undefined, settled)
}

/** The usual reason behind a final status given before the body, when the plugin did not give it. */
function reasonOf (status: number): string {
  if (status === 413) return 'body-limit'
  if (status === 415) return 'media-type'
  if (status === 404) return 'not-found'
  return 'hook'
}
