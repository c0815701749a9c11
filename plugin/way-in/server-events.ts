// The only way in for expectation requests: Node's `checkContinue` (100-continue)
// and `checkExpectation` (anything else) server events, HTTP/1.1 and HTTP/2
// alike. With a listener on them Node writes neither its own 100 nor its own
// bare 417; requests without Expect never reach this file.
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import { continueOnFirstRead, sendContinue, settle, track, type ExpectationApp, type RawRequest, type RawResponse, type Settled } from './continue'
import { answer } from '../connection/answer'
import { decide } from '../decision/decide'
import { headOf, type RequestHead } from '../decision/framing'
import { refuseForbiddenFraming } from './framing-guard'
import type { Connections } from '../connection/close'
import type { ResolvedOptions } from '../options'
import { holdPipelined } from '../connection/pipeline'
import { headsHeard, nodeHttp } from '../internals/node'

const wired = new WeakSet<EventEmitter>()

export function isWired (server: EventEmitter): boolean {
  return wired.has(server)
}

export function wireServer (server: EventEmitter, connections: Connections, options: ResolvedOptions, settled: Settled): void {
  wired.add(server)
  const app: ExpectationApp = { settled, connections }
  server.on('checkContinue', onExpectation)
  server.on('checkExpectation', onExpectation)
  // A lenient parser frames a body it cannot delimit: then, and only then, every
  // request meets the framing rule (Node's strict parser answers 400 and closes itself).
  if (lenientParser(server)) refuseForbiddenFraming(server, app)

  function onExpectation (this: EventEmitter, request: RawRequest, response: RawResponse): void {
    const http1 = request.httpVersionMajor === 1
    if (!http1) connections.resetStream((request as { stream: ServerHttp2Stream }).stream)
    // HTTP/1: the request is its own head (nothing copied for each request).
    const decision = decide(http1 ? request as RequestHead : headOf(request))
    // HTTP/1: what follows on the connection waits for the answer (pipeline.ts). If Node ends the
    // connection after the answer, its body unread, it closes in stages (connection/close.ts).
    if (http1 && decision.action !== 'ignore') holdPipelined(request as IncomingMessage, response as ServerResponse)
    switch (decision.action) {
      case 'reject': {
        const state = track(request, app, decision.declaredLength, 'pending', decision.reason)
        if (http1) {
          // Its head is heard of in writeHead, unless the response has a writeHead of its own.
          if (!headsHeard(response)) connections.closeInStages(request, response)
          response.on('finish', () => { connections.answered(request, response) })
        }
        answer(response, decision.error, http1 && decision.framed)
        settle(request, response, state, decision.reason === 'expectation' ? 'expectation-failed' : 'refused', decision.reason, settled)
        return
      }
      case 'no-body': {
        // Nothing can follow the head, so the connection stays usable whoever answers:
        // Node would otherwise close it for a final status sent without a 100.
        nodeHttp.forgiveContinue(response)
        if (http1) response.on('finish', () => { connections.answered(request, response) })
        settle(request, response, track(request, app, decision.declaredLength, 'pending', undefined, decision.framing), 'ignored', 'no-body', settled)
        break
      }
      case 'wait': {
        const state = track(request, app, decision.declaredLength, 'pending', undefined, decision.framing)
        continueOnFirstRead(request, response, state)
        if (options.sendContinue === 'immediately') sendContinue(request, response, state, settled)
        break
      }
      case 'ignore':
        break
    }
    this.emit('request', request, response)
  }
}

/** `insecureHTTPParser` on this server, or for the whole process. */
function lenientParser (server: EventEmitter): boolean {
  const flag = /(^|\s)--insecure-http-parser(\s|$)/
  return (server as { insecureHTTPParser?: boolean }).insecureHTTPParser === true ||
    process.execArgv.some((arg) => arg === '--insecure-http-parser') || flag.test(process.env.NODE_OPTIONS ?? '')
}
