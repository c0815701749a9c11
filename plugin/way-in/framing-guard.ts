// Wiring the framing rule (framing.ts) in front of the app's request listener,
// for servers whose parser is lenient (server-events.ts decides).
//
// A request whose framing is forbidden is never handed to the app. Node's strict
// parser fails on it right after its head, in the same parse: then Node's (or
// Fastify's) clientError answer of 400 and the close are the answer. With a
// lenient parser nothing fails: the plugin answers 400 with Connection: close,
// and the staged close (connection/close.ts, linger.ts) drops what follows, never parsed as a request.
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { answer } from '../connection/answer'
import { settle, track, type ExpectationApp } from './continue'
import { headsHeard } from '../internals/node'
import { parseContentLength } from '../decision/framing'
import { FST_ERR_EXPECT_INVALID_FRAMING } from '../decision/errors'
import { framingFault } from '../decision/framing'

type RequestListener = (this: EventEmitter, request: IncomingMessage, response: ServerResponse) => void

/** Puts the framing check in front of the request listeners the server has now (Fastify's). */
export function refuseForbiddenFraming (server: EventEmitter, app: ExpectationApp): void {
  const listeners = server.listeners('request') as RequestListener[]
  if (listeners.length === 0) return
  server.removeAllListeners('request')
  server.on('request', function guarded (this: EventEmitter, request: IncomingMessage, response: ServerResponse) {
    // One property read for every request: only a Transfer-Encoding field goes further.
    if (request.headers['transfer-encoding'] !== undefined && request.httpVersionMajor === 1) {
      const fault = framingFault(request.headers, request.httpVersion)
      if (fault !== undefined) {
        process.nextTick(refuse, request, response, fault)
        return
      }
    }
    for (const listener of listeners) listener.call(this, request, response)
  })

  function refuse (request: IncomingMessage, response: ServerResponse, fault: string): void {
    const length = parseContentLength(request.headers['content-length'])
    const state = track(request, app, typeof length === 'number' ? length : undefined, 'pending', 'framing')
    // The strict parser already failed on it: Node or Fastify answered and closed.
    if (!request.socket.destroyed && !response.headersSent) {
      // Its head is heard of in writeHead, unless the response has a writeHead of its own.
      if (!headsHeard(response)) app.connections.closeInStages(request, response)
      answer(response, new FST_ERR_EXPECT_INVALID_FRAMING(fault), true)
    }
    settle(request, response, state, 'refused', 'framing', app.settled)
  }
}
