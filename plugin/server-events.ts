// Wiring the server events. With a listener for `checkContinue` (100-continue)
// and `checkExpectation` (anything else), Node neither writes its own 100 nor
// its own bare 417: the request goes to Fastify like any other, tagged with its
// expectation, and the gate decides. Same events for HTTP/1.1 and HTTP/2.
// HTTP/1 connections are also adopted for the staged close (linger.ts): one
// property per connection, nothing per request.
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import { Server as TlsServer } from 'node:tls'
import { trackExpectation, type RawRequest, type RawResponse } from './continue'
import { dispatchExpectation } from './dispatch'
import { refuseForbiddenFraming } from './framing-guard'
import type { Linger } from './linger'
import { holdPipelined } from './pipeline'
import type { ResolvedOptions } from './options'
import { resetAfterEarlyAnswer } from './stream-reset'

const wired = new WeakSet<EventEmitter>()

export function isWired (server: EventEmitter): boolean {
  return wired.has(server)
}

export function wireServer (server: EventEmitter, linger: Linger, options: ResolvedOptions): void {
  wired.add(server)
  server.on('checkContinue', onExpectation)
  server.on('checkExpectation', onExpectation)
  // Every connection, TLS ones once the handshake is done: HTTP/2 sessions never call
  // destroySoon, so only HTTP/1 connections (including allowHTTP1 ones) ever linger.
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => { linger.adopt(socket) })
  // --- hardening: framing the RFC forbids never reaches a route (framing.ts, framing-guard.ts) ---
  refuseForbiddenFraming(server)
  // --- end hardening ---

  function onExpectation (this: EventEmitter, request: RawRequest, response: RawResponse): void {
    trackExpectation(request, response)
    if (request.httpVersionMajor === 2) resetAfterEarlyAnswer((request as { stream: ServerHttp2Stream }).stream, options)
    else holdPipelined(request as IncomingMessage, response as ServerResponse)
    dispatchExpectation(() => this.emit('request', request, response))
  }
}
