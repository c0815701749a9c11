// HTTP/1 requests pipelined behind an expectation request.
//
// Node hands pipelined requests to the app as soon as it parses them, before
// the one in front is answered. Behind an expectation that is wrong: if the
// answer is a refusal, the connection ends (what follows might be the body the
// client was told not to send), so requests behind it would run and never be
// answered. So their dispatch waits for the expectation request's response: on
// a connection that stays open they are handed over, in order; on one that
// closes they never run. Only connections that carried an expectation pay.
//
// One hold per connection: a queue in front of Node's parserOnIncoming, which
// waits for the expectation request's answer only once something is queued. While
// anything is queued the socket does not read: every 'resume' (Node's drain
// handling, a request body's reader) is undone at once, before any read can
// happen. So a connection holds at most the requests of the chunk being parsed
// when the hold began, whatever the client sends after.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { nodeHttp, type HttpParser, type HttpSocket, type OnIncoming } from '../internals/node'

interface Hold {
  readonly parser: HttpParser
  /** Node's own handler: dispatches a request to the app. */
  readonly dispatch: OnIncoming
  readonly onIncoming: OnIncoming
  /** The expectation request's response the queue waits for. */
  blockedBy: ServerResponse | null
  queue: Array<[IncomingMessage, boolean]>
  /** The connection ends: what is queued never runs. */
  ended: boolean
}

// A Map, each entry removed when its connection closes: in a WeakMap, an entry whose
// value reaches its key (the hold's dispatcher holds the socket) would keep every
// such connection alive through V8's young-generation collections.
const holds = new Map<Socket, Hold>()

export function holdPipelined (request: IncomingMessage, response: ServerResponse): void {
  const socket = nodeHttp.socketOf(request)
  const hold = holdOf(socket)
  if (hold !== undefined) hold.blockedBy = response
}

/**
 * The expectation request's answer is out (after Node's own 'finish'): with nothing queued, the
 * hold lets go of it (a connection idle after an upload keeps nothing of it alive), or ends with a
 * connection that closes.
 */
export function answered (socket: Socket, response: ServerResponse): void {
  const hold = holds.get(socket)
  if (hold === undefined || hold.blockedBy !== response || hold.queue.length > 0) return
  hold.blockedBy = null
  if (nodeHttp.isLast(response) || socket.destroyed) end(hold)
}

// The expectation request's answer is awaited only when a request is queued behind
// it: most connections pipeline nothing, and pay no listener.
function awaitAnswer (hold: Hold, socket: HttpSocket, response: ServerResponse): void {
  // After Node's own 'finish' listener (added before the request was emitted),
  // which has already moved on to the next response or closed the connection.
  response.on('finish', () => {
    if (hold.blockedBy !== response) return
    hold.blockedBy = null
    if (nodeHttp.isLast(response) || socket.destroyed || nodeHttp.parserOf(socket) !== hold.parser || nodeHttp.dispatcherOf(hold.parser) !== hold.onIncoming) {
      end(hold)
      return
    }
    // A dispatched expectation request blocks again those behind it.
    while (hold.queue.length > 0 && hold.blockedBy === null) {
      const [next, keepAlive] = hold.queue.shift() as [IncomingMessage, boolean]
      hold.dispatch(next, keepAlive)
    }
    if (hold.queue.length > 0 && hold.blockedBy !== null) awaitAnswer(hold, socket, hold.blockedBy)
    // Node's own backpressure (`_paused`) resumes the socket itself on drain.
    if (hold.queue.length === 0 && socket._paused !== true && !socket.destroyed) socket.resume()
  })
}

function holdOf (socket: HttpSocket): Hold | undefined {
  const parser = nodeHttp.parserOf(socket)
  const dispatch = parser == null ? null : nodeHttp.dispatcherOf(parser)
  if (parser == null || typeof dispatch !== 'function') return undefined
  const existing = holds.get(socket)
  if (existing !== undefined && existing.parser === parser && dispatch === existing.onIncoming) return existing
  const hold: Hold = {
    parser,
    dispatch,
    onIncoming: (next, keepAlive) => {
      if (takesOver(socket, next)) return dispatch(next, keepAlive)
      const blocker = hold.blockedBy
      // Answered: Node has moved on, or closes the connection after it.
      if (blocker !== null && blocker.writableFinished) {
        hold.blockedBy = null
        if (nodeHttp.isLast(blocker) || socket.destroyed) end(hold)
      }
      // The connection ends after a refusal: Node still parses what arrives until
      // the socket is gone, but nothing behind the refusal may run.
      if (hold.ended) return 0
      if (hold.blockedBy === null) return dispatch(next, keepAlive)
      if (hold.queue.length === 0) awaitAnswer(hold, socket, hold.blockedBy)
      hold.queue.push([next, keepAlive])
      nodeHttp.stopReading(socket)
      return 0
    },
    blockedBy: null,
    queue: [],
    ended: false
  }
  nodeHttp.setDispatcher(parser, hold.onIncoming)
  holds.set(socket, hold)
  socket.on('resume', () => {
    if (hold.queue.length > 0 && !hold.ended) nodeHttp.stopReading(socket)
  })
  socket.once('close', () => {
    end(hold)
    if (holds.get(socket) === hold) holds.delete(socket)
  })
  return hold
}

/** An upgrade (or CONNECT) takes the connection over at once, as Node does it. */
function takesOver (socket: HttpSocket, request: IncomingMessage): boolean {
  if ((request as { upgrade?: boolean }).upgrade !== true) return false
  return request.method === 'CONNECT' || (socket.server?.listenerCount('upgrade') ?? 0) > 0
}

function end (hold: Hold): void {
  hold.ended = true
  hold.blockedBy = null
  hold.queue = []
}
