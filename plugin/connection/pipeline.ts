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
// One hold per connection: a queue in front of Node's parserOnIncoming. While
// anything is queued the socket does not read: every 'resume' (Node's drain
// handling, a request body's reader) is undone at once, before any read can
// happen. So a connection holds at most the requests of the chunk being parsed
// when the hold began, whatever the client sends after.
//
// And a client that sent its whole body without waiting for the 100 keeps its
// connection: Node closes every connection whose expectation got a final status
// without a 100, but once the body was read in full the framing is intact.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

type OnIncoming = (request: IncomingMessage, keepAlive: boolean) => number

/** The parts of Node's HTTP/1 server state (lib/_http_server.js) the hold uses. */
interface HttpParser { onIncoming: OnIncoming | null }
interface HttpSocket extends Socket {
  parser?: HttpParser | null
  _paused?: boolean
  _handle?: { reading: boolean, readStop (): number } | null
  server?: { listenerCount (event: string): number }
}
interface NodeResponse extends ServerResponse { _last: boolean, _expect_continue: boolean }

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

const holds = new WeakMap<Socket, Hold>()

export function holdPipelined (request: IncomingMessage, response: ServerResponse): void {
  const socket = request.socket as HttpSocket
  const hold = holdOf(socket)
  if (hold === undefined) return
  hold.blockedBy = response
  const res = response as NodeResponse
  request.once('end', () => {
    if (!res.headersSent) res._expect_continue = false
  })
  // After Node's own 'finish' listener (added before the request was emitted),
  // which has already moved on to the next response or closed the connection.
  res.once('finish', () => {
    if (hold.blockedBy !== response) return
    hold.blockedBy = null
    if (res._last || socket.destroyed || socket.parser !== hold.parser || hold.parser.onIncoming !== hold.onIncoming) {
      end(hold)
      return
    }
    // A dispatched expectation request blocks again those behind it.
    while (hold.queue.length > 0 && hold.blockedBy === null) {
      const [next, keepAlive] = hold.queue.shift() as [IncomingMessage, boolean]
      hold.dispatch(next, keepAlive)
    }
    // Node's own backpressure (`_paused`) resumes the socket itself on drain.
    if (hold.queue.length === 0 && socket._paused !== true && !socket.destroyed) socket.resume()
  })
}

function holdOf (socket: HttpSocket): Hold | undefined {
  const parser = socket.parser
  if (parser == null || typeof parser.onIncoming !== 'function') return undefined
  const existing = holds.get(socket)
  if (existing !== undefined && existing.parser === parser && parser.onIncoming === existing.onIncoming) return existing
  const dispatch = parser.onIncoming
  const hold: Hold = {
    parser,
    dispatch,
    onIncoming: (next, keepAlive) => {
      if (takesOver(socket, next)) return dispatch(next, keepAlive)
      // The connection ends after a refusal: Node still parses what arrives until
      // the socket is gone, but nothing behind the refusal may run.
      if (hold.ended) return 0
      if (hold.blockedBy === null) return dispatch(next, keepAlive)
      hold.queue.push([next, keepAlive])
      stopReading(socket)
      return 0
    },
    blockedBy: null,
    queue: [],
    ended: false
  }
  parser.onIncoming = hold.onIncoming
  holds.set(socket, hold)
  socket.on('resume', () => {
    if (hold.queue.length > 0 && !hold.ended) stopReading(socket)
  })
  socket.once('close', () => end(hold))
  return hold
}

/** An upgrade (or CONNECT) takes the connection over at once, as Node does it. */
function takesOver (socket: HttpSocket, request: IncomingMessage): boolean {
  if ((request as { upgrade?: boolean }).upgrade !== true) return false
  return request.method === 'CONNECT' || (socket.server?.listenerCount('upgrade') ?? 0) > 0
}

/**
 * Node's parser reads the socket's handle natively; pausing the stream stops the handle
 * (Node's own 'pause' listener). The chunk being parsed is still parsed to its end.
 */
function stopReading (socket: HttpSocket): void {
  socket.pause()
  const handle = socket._handle
  if (handle != null && handle.reading) {
    handle.reading = false
    handle.readStop()
  }
}

function end (hold: Hold): void {
  hold.ended = true
  hold.blockedBy = null
  hold.queue = []
}
