// Not reading a connection while its request waits for a slot without Expect
// (admission: 'queue'): what the client sends then fills the kernel's buffers
// and the TCP window (HTTP/1), or the stream's flow-control window (HTTP/2), and
// the client stops. The bytes of the chunk parsed with the head are already in
// the request's buffer: those are the only ones the server holds.
import type { Http2ServerRequest } from 'node:http2'
import type { Socket } from 'node:net'
import { nodeHttp, type HttpSocket } from '../internals/node'
import type { RawRequest } from '../way-in/continue'

export function stopReading (request: RawRequest): void {
  if (request.httpVersionMajor === 2) {
    (request as Http2ServerRequest).stream?.pause()
    return
  }
  const socket = request.socket as HttpSocket | null
  if (socket === null || typeof socket.pause !== 'function') return // inject(): no socket
  nodeHttp.stopReading(socket)
}

export function resumeReading (request: RawRequest): void {
  if (request.httpVersionMajor === 2) return // the body's reader resumes the stream
  const socket = request.socket as Socket | null
  if (socket === null || typeof socket.resume !== 'function' || socket.destroyed) return
  socket.resume()
}
