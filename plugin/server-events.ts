// Wiring the server events. With a listener for `checkContinue` (100-continue)
// and `checkExpectation` (anything else), Node neither writes its own 100 nor
// its own bare 417: the request goes to Fastify like any other, tagged with its
// expectation, and the gate decides. Same events for HTTP/1.1 and HTTP/2.
import type { EventEmitter } from 'node:events'
import { trackExpectation, type RawRequest, type RawResponse } from './continue'
import { dispatchExpectation } from './dispatch'

const wired = new WeakSet<EventEmitter>()

export function isWired (server: EventEmitter): boolean {
  return wired.has(server)
}

export function wireServer (server: EventEmitter): void {
  wired.add(server)
  server.on('checkContinue', onExpectation)
  server.on('checkExpectation', onExpectation)
}

function onExpectation (this: EventEmitter, request: RawRequest, response: RawResponse): void {
  trackExpectation(request, response)
  dispatchExpectation(() => this.emit('request', request, response))
}
