// HTTP/1 requests pipelined behind an expectation request.
//
// Node hands pipelined requests to the app as soon as it parses them, before
// the one in front is answered. Behind an expectation that is wrong: if the
// answer is a refusal, the connection ends (what follows might be the body the
// client was told not to send), so requests behind it would run and never be
// answered. So their dispatch waits for the expectation request's response: on
// a connection that stays open they are handed over, in order; on one that
// closes they never run. Only expectation requests pay for this.
//
// And a client that sent its whole body without waiting for the 100 keeps its
// connection: Node closes every connection whose expectation got a final status
// without a 100, but once the body was read in full the framing is intact.
import type { IncomingMessage, ServerResponse } from 'node:http'

type OnIncoming = (request: IncomingMessage, keepAlive: boolean) => number

interface HttpParser { onIncoming: OnIncoming | null, resume (): void }
interface HttpSocket { parser?: HttpParser | null, _paused?: boolean, pause (): void, resume (): void }
interface NodeResponse extends ServerResponse { _last: boolean, _expect_continue: boolean }

export function holdPipelined (request: IncomingMessage, response: ServerResponse): void {
  const socket = request.socket as unknown as HttpSocket
  const parser = socket.parser as HttpParser
  const held: Array<[IncomingMessage, boolean]> = []
  const dispatch = parser.onIncoming as OnIncoming
  const hold: OnIncoming = (next, keepAlive) => {
    // An upgrade takes the connection over at once, as Node does it.
    if ((next as { upgrade?: boolean }).upgrade === true) return dispatch(next, keepAlive)
    // Stop reading, as Node does when responses pile up: a client could otherwise
    // pipeline requests without end while they wait here (Node pauses the parser
    // after the chunk it is executing, so at most one chunk's requests are held).
    if (held.length === 0 && socket._paused !== true) {
      socket._paused = true
      socket.pause()
    }
    held.push([next, keepAlive])
    return 0
  }
  parser.onIncoming = hold
  const res = response as NodeResponse
  request.once('end', () => {
    if (!res.headersSent) res._expect_continue = false
  })
  res.once('finish', () => {
    // Last response (the connection ends): what is held never runs. And a parser
    // freed with its connection may already serve another one.
    if (res._last || parser.onIncoming !== hold) return
    parser.onIncoming = dispatch
    // Through the parser's current handler: a held expectation request holds those behind it.
    for (const [next, keepAlive] of held) (parser.onIncoming as OnIncoming)(next, keepAlive)
    if (held.length > 0 && socket._paused === true && parser.onIncoming === dispatch) {
      socket._paused = false
      parser.resume()
      socket.resume()
    }
  })
}
