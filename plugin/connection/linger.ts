// Staged close for HTTP/1 (RFC 9112 §9.6, nginx's "lingering close").
//
// When Node sends the last response of a connection (Connection: close, which
// Fastify and the plugin use for answers given before the body) it ends the
// socket and destroys it as soon as the response is flushed. If the client is
// still sending the body, the kernel then answers its bytes with a reset, and
// many clients lose the response they had not read yet (Node's http client
// gets EPIPE). So, for a connection marked by connection/close.ts (an
// expectation's answer after which Node ends the connection, the route rules'
// refusals, and on routes with rules an answer before the body, until it is
// out), Node's call to `socket.destroySoon` comes here instead
// (internals/node.ts): when the request body is not complete, the connection is
// taken away from the HTTP parser (nothing it still receives is ever read as a
// request), its write side is closed after the response, and
// what the client still sends is read and thrown away until the client closes,
// or a time or byte bound is reached; then it is closed. The time bound is the
// earliest of lingerTimeout, the server's requestTimeout (counted from the
// answer) and its idle timeout (connectionTimeout), which stays armed.
//
// Defaults: 5 s (nginx's lingering_timeout; Go's fixed half second is short for
// a client that finishes its upload before reading, e.g. 10 MB at 20 Mbit/s),
// 64 MiB (a typical refused upload finishes and the client reads its answer;
// at 1 Gbit/s that is half a second of reading), 1000 sockets at once (beyond
// it, Node's immediate close). Lingering costs a socket and a timer, no buffer:
// bytes are dropped as they come.
import type { Socket } from 'node:net'
import type { ResolvedOptions } from '../options'
import { closeAsNode, closeThrough, nodeHttp, type HttpSocket } from '../internals/node'

/** How long lingering sockets still get once the server closes (Go's half second). */
export const LINGER_GRACE_MS = 500

export interface Linger {
  /** If Node ends this connection after this response, its request's body unread, it closes in stages (idempotent). */
  adopt (socket: Socket): void
  /** The response went out and Node kept the connection: the mark goes, Node's own close again. */
  release (socket: Socket): void
  /** The server is closing: lingering sockets get at most a short grace (none with `force`). */
  close (force: boolean): void
}

export function createLinger (options: Pick<ResolvedOptions, 'lingerTimeout' | 'lingerBytes' | 'maxLingeringSockets'>): Linger {
  const timers = new Map<Socket, NodeJS.Timeout>()
  let closing: { force: boolean } | undefined

  function lingeringDestroySoon (socket: HttpSocket, destroySoon: (socket: HttpSocket) => void): void {
    if (nodeHttp.bodyPending(socket) !== true || !socket.readable || options.lingerTimeout === 0 ||
      closing?.force === true || timers.size >= options.maxLingeringSockets) {
      destroySoon(socket)
      return
    }
    linger(socket)
  }

  function linger (socket: HttpSocket): void {
    // The HTTP parser reads the socket natively and also listens to 'data' and
    // 'end'; with its listeners gone, adding ours makes Node unhook the parser
    // from the socket (its `on` wrapper), so no byte reaches it any more.
    socket.removeAllListeners('data')
    socket.removeAllListeners('end')
    // The server's idle timeout (connectionTimeout) stays armed: an idle lingering
    // socket is closed then, by nobody else's listener.
    socket.removeAllListeners('timeout')
    socket.on('timeout', () => socket.destroy())
    let bytes = 0
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > options.lingerBytes) socket.destroy()
    })
    socket.on('end', () => socket.destroy())
    socket.once('close', () => {
      clearTimeout(timers.get(socket))
      timers.delete(socket)
    })
    socket.resume()
    // The parser may have stopped the handle (backpressure from an unread body)
    // while the stream believes a read is pending: start it as net.Socket would.
    nodeHttp.startReading(socket)
    if (socket.writable) socket.end()
    timers.set(socket, setTimeout(() => socket.destroy(), lingerBound(socket)))
  }

  /** The earliest of lingerTimeout, the server's requestTimeout and, once closing, the grace. */
  function lingerBound (socket: HttpSocket): number {
    let bound = options.lingerTimeout
    const requestTimeout = socket.server?.requestTimeout ?? 0
    if (requestTimeout > 0) bound = Math.min(bound, requestTimeout)
    return closing === undefined ? bound : Math.min(bound, LINGER_GRACE_MS)
  }

  return {
    adopt (socket) {
      closeThrough(socket, lingeringDestroySoon)
    },
    release (socket) {
      closeAsNode(socket)
    },
    close (force) {
      closing = { force }
      for (const [socket, timer] of timers) {
        clearTimeout(timer)
        if (force) socket.destroy()
        else timers.set(socket, setTimeout(() => socket.destroy(), lingerBound(socket)))
      }
    }
  }
}
