// The one place that decides how a connection ends after an answer given before
// its body (as Go's closeAfterReply): HTTP/1 closes after the response, in
// stages (linger.ts), so that no unread body byte is taken for a request and
// the client reads the answer; HTTP/2 resets the stream after the response
// (stream-reset.ts), the session serving on. (The one connection Node would
// close that stays usable, a body sent in full without waiting for the 100, is
// kept where Node decides it, as the answer's head is written: internals/node.ts.)
// Everything else keeps Node's own connection handling.
import type { FastifyReply } from 'fastify'
import type { ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { Linger } from './linger'
import { resetAfterEarlyAnswer } from './stream-reset'
import { answered as pipelineAnswered } from './pipeline'
import type { ServerResponse } from 'node:http'
import type { RawRequest, RawResponse } from '../way-in/continue'

export interface Connections {
  /** A body is refused unread: the connection (HTTP/1) or the stream (HTTP/2) ends after the answer. */
  closeAfterReply (reply: FastifyReply): void
  /** The answer may go out with the body unread: if Node then closes the connection, it closes in stages. */
  closeInStages (request: RawRequest, response: RawResponse): void
  /** An HTTP/2 stream answered before its body ended is reset after the response. */
  resetStream (stream: ServerHttp2Stream): void
  /** An HTTP/1 expectation's answer is out (after Node's own 'finish'): what waited on it is let go. */
  answered (request: RawRequest, response: RawResponse): void
  /** An expectation's answer after which Node ends the connection has been written (way-in/continue.ts): with its body unread, it closes in stages. */
  closeAfterHead (request: RawRequest): void
  readonly linger: Linger
}

export function createConnections (linger: Linger): Connections {
  const reset = new WeakSet<ServerHttp2Stream>()
  const resetStream = (stream: ServerHttp2Stream): void => {
    if (reset.has(stream)) return
    reset.add(stream)
    resetAfterEarlyAnswer(stream)
  }
  return {
    linger,
    resetStream,
    closeAfterReply (reply) {
      const raw = reply.request.raw
      if (raw.httpVersionMajor === 2) {
        resetStream((raw as unknown as { stream: ServerHttp2Stream }).stream)
        return
      }
      if (reply.raw.headersSent) return
      reply.header('connection', 'close')
      if (reply.raw.socket !== null) linger.adopt(reply.raw.socket)
    },
    closeInStages (request, response) {
      if (request.httpVersionMajor !== 1 || request.complete) return
      const socket = request.socket as Socket
      linger.adopt(socket)
      // Rare (an answer before the body, on a route with rules): the mark goes with the answer.
      response.once('finish', () => { linger.release(socket) })
    },
    answered (request, response) {
      if (request.httpVersionMajor !== 1) return
      pipelineAnswered(request.socket as Socket, response as ServerResponse)
    },
    closeAfterHead (request) {
      // Null once Node has let the request go (a proxy that destroyed it, say): Node's own close.
      const socket = request.socket as Socket | null
      if (request.httpVersionMajor === 1 && request.complete === false && socket !== null) linger.adopt(socket)
    }
  }
}
