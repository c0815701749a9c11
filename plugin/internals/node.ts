// Every Node internal the plugin reaches, and nowhere else: the shapes of
// lib/_http_server.js, lib/_http_incoming.js and lib/internal/http2/compat.js
// it relies on, each with what happens without it (NODE_INTERNALS; the
// README's table is checked against it). Each access checks the shape it
// needs where it is used and falls back to Node's own behaviour when absent.
import { IncomingMessage, type ServerResponse } from 'node:http'
import { Http2ServerRequest } from 'node:http2'
import type { Socket } from 'node:net'
import type { InternalUse } from './fastify'

export const NODE_INTERNALS: readonly InternalUse[] = [
  { name: 'Node `res._expect_continue`', what: 'keeping the connection of a bodyless expectation request open; a client that sent its whole body without waiting keeps its connection', fallback: 'Node closes it after the response' },
  { name: 'Node `res._last`', what: 'whether the connection ends after a response: the pipelining hold, and the staged close, given to a connection only then', fallback: 'requests held behind it are dropped with the connection; the staged close is given to every connection that may close with a body unread' },
  { name: 'Node\'s connection parser (`socket.parser`, its `incoming` and `onIncoming`), `socket._handle` (`reading`, `readStart`, `readStop`), `socket.destroySoon`', what: 'staged close, holding requests pipelined behind an expectation request', fallback: 'Node\'s own immediate close' },
  { name: 'Node\'s request classes\' `_read()` (`IncomingMessage`, `Http2ServerRequest`: every body reader ends up there), wrapped once', what: 'the 100 on the first read of the body, and an upload slot taken before it (admission)', fallback: 'an own `_read` on each waiting request (a request class of another runtime or of the app)' },
  { name: 'Node\'s HTTP/1 parser and HTTP/2 compat layer delivering body bytes with the request\'s `push()`', what: 'a route\'s bodyLimit held for a body of unknown length, whoever reads it (a parser or a handler on `request.raw`)', fallback: 'only what passes through the parser\'s stream is counted' },
  { name: 'Node\'s HTTP/2 stream after `finish`', what: 'the reset after an early answer', fallback: 'Node\'s own reset' }
]

/** The parts of Node's HTTP/1 server state (lib/_http_server.js) the plugin reads. */
export type OnIncoming = (request: IncomingMessage, keepAlive: boolean) => number
export interface HttpParser { onIncoming: OnIncoming | null, incoming?: { complete: boolean } | null }
export interface HttpSocket extends Socket {
  parser?: HttpParser | null
  _paused?: boolean
  _handle?: { reading: boolean, readStart (): number, readStop (): number } | null
  server?: { requestTimeout?: number, listenerCount (event: string): number } | null
}
interface NodeResponse extends ServerResponse { _last?: boolean, _expect_continue?: boolean }

export const nodeHttp = {
  socketOf: (request: IncomingMessage): HttpSocket => request.socket as HttpSocket,
  /** The connection's HTTP parser, while Node's server owns the connection. */
  parserOf: (socket: HttpSocket): HttpParser | null | undefined => socket.parser,
  /** Node's handler that dispatches each parsed request to the app. */
  dispatcherOf: (parser: HttpParser): OnIncoming | null => parser.onIncoming,
  setDispatcher (parser: HttpParser, dispatch: OnIncoming): void { parser.onIncoming = dispatch },
  /** The request being parsed still has body bytes to come (undefined: unknown). */
  bodyPending (socket: HttpSocket): boolean | undefined {
    const incoming = socket.parser?.incoming
    return incoming == null ? undefined : !incoming.complete
  },
  /** Node closes the connection after this response (Connection: close, HTTP/1.0, or a refused expectation). */
  isLast: (response: ServerResponse): boolean => (response as NodeResponse)._last === true,
  /** Node may close the connection after this response (true when its `_last` is out of reach). */
  mayBeLast: (response: ServerResponse): boolean => (response as NodeResponse)._last !== false,
  /** Node's note that a 100 is owed: a final status without one closes the connection. Cleared: it stays usable. */
  forgiveContinue (response: ServerResponse | object): void {
    const node = response as NodeResponse
    if (node._expect_continue === true) node._expect_continue = false
  },
  /** Node reads the handle natively: pausing the stream stops it (its 'pause' listener); the chunk being parsed ends first. */
  stopReading (socket: HttpSocket): void {
    socket.pause()
    const handle = socket._handle
    if (handle != null && handle.reading) {
      handle.reading = false
      handle.readStop()
    }
  },
  /** The handle may have been stopped by the parser (an unread body) while the stream thinks a read is pending. */
  startReading (socket: HttpSocket): void {
    const handle = socket._handle
    if (handle != null && !handle.reading) {
      handle.reading = true
      handle.readStart()
    }
  },
  /**
   * Replaces, for this one connection, what Node calls to close it after its
   * last response: set just before Node calls it, so only a closing socket
   * ever has a shape of its own.
   */
  replaceDestroySoon (socket: Socket, destroySoon: (this: HttpSocket) => void): void {
    shadow(socket as { destroySoon: () => void }, 'destroySoon', destroySoon)
  },
  /** Node's own destroySoon. */
  destroySoon (socket: HttpSocket): void {
    Object.getPrototypeOf(socket).destroySoon.call(socket)
  }
}

/**
 * Gives `object` an own `key` until the returned restore() puts the former one
 * back. The object keeps a class of its own (deleting would make it a slow
 * dictionary on Node 22 and later, whose V8 no longer rolls a deleted last
 * property back): for objects that end soon after (a closing socket, a reset
 * stream), never for requests in flight (see onFirstRead).
 */
export function shadow<T extends object, K extends keyof T> (object: T, key: K, value: T[K]): () => void {
  const previous = object[key]
  object[key] = value
  let restored = false
  return () => {
    if (restored) return
    restored = true
    if (object[key] === value) object[key] = previous
  }
}

/**
 * HTTP/2: a stream that will never be read again, whoever calls resume() or
 * read() on it (it is reset a moment later).
 */
export function neverReadAgain (stream: { pause (): unknown, resume (): unknown, _read (size: number): void }): void {
  stream.pause()
  shadow(stream, 'resume', function resume (this: unknown) { return this })
  shadow(stream, '_read', function read () {})
}

/**
 * Each body chunk Node hands a request stream (HTTP/1 parser, HTTP/2 compat) goes
 * through its push(): an own push sees every byte, whoever reads the stream,
 * until the end of the body. `take` returns false to drop the chunk (and ask
 * Node to stop reading). Only bodies of unknown length held to a limit get it.
 */
export function watchPushes (stream: object, take: (chunk: Buffer) => boolean): void {
  type Pushing = { push (chunk: unknown, encoding?: BufferEncoding): boolean }
  const own = stream as Pushing
  const push = own.push
  const restore = shadow(own, 'push', function watchedPush (this: Pushing, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) restore()
    if (chunk === null || !Buffer.isBuffer(chunk)) return push.call(this, chunk, encoding)
    return take(chunk) ? push.call(this, chunk, encoding) : false
  })
}

// The first read of a request's body, seen from the _read of Node's request
// classes (http.IncomingMessage, http2's Http2ServerRequest), wrapped once, the
// first time an expectation waits: an own _read on the waiting requests would
// give them a class of their own (and deleting it, a dictionary on Node 22 and
// later), and Node's stream code, shared by every later request, would meet one
// more shape (Readable.read and resume went megamorphic). The waiting requests
// are found in a WeakMap; any other request pays one lookup per _read call.
// The entry goes at the first read or when the answer finishes (finishFirstRead).
type FirstRead = (proceed: () => void) => void
const firstReads = new WeakMap<object, FirstRead>()
const wrappedReads = new WeakSet<object>()
/** The prototypes whose _read may be wrapped: Node's two request classes, nothing else. */
const requestPrototypes: readonly object[] = [IncomingMessage.prototype, Http2ServerRequest.prototype]

/** Per prototype of the requests met: whether their _read is one of Node's, wrapped (the chain walked once). */
const hookable = new WeakMap<object, boolean>()

function hookReads (request: object): boolean {
  const proto = Object.getPrototypeOf(request) as object | null
  if (proto === null) return false
  let known = hookable.get(proto)
  if (known === undefined) {
    known = wrapRead(proto)
    hookable.set(proto, known)
  }
  return known
}

/** Wraps _read where `proto` finds it, if that is one of Node's request classes. */
function wrapRead (proto: object): boolean {
  let owner: object | null = proto
  while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, '_read')) owner = Object.getPrototypeOf(owner) as object | null
  if (owner === null || !requestPrototypes.includes(owner)) return false
  if (wrappedReads.has(owner)) return true
  const reading = owner as { _read (size: number): void }
  const read = reading._read
  if (typeof read !== 'function') return false
  reading._read = function _read (this: object, size: number): void {
    const first = firstReads.get(this)
    if (first === undefined) return read.call(this, size)
    firstReads.delete(this)
    first(() => { read.call(this, size) })
  }
  wrappedReads.add(owner)
  return true
}

/**
 * Runs `before(proceed)` at the first read of the request's body; the read goes
 * on when it calls proceed(). A later hook runs first (admission's slot, then the 100).
 */
function atFirstRead (request: object, before: FirstRead): void {
  const inner = firstReads.get(request)
  const first: FirstRead = inner === undefined ? before : (proceed) => { before(() => { inner(proceed) }) }
  if (hookReads(request)) {
    firstReads.set(request, first)
    return
  }
  // Not one of Node's request classes (another runtime's, or a class of the app's own): an own _read.
  const own = request as { _read (size: number): void }
  const read = own._read
  const restore = shadow(own, '_read', function readFirst (this: typeof own, size: number) {
    restore()
    first(() => { read.call(this, size) })
  })
}

/** The request's answer is out: nothing waits for its first read any more. */
export function finishFirstRead (request: object): void {
  firstReads.delete(request)
}

/** `first` runs at the first read of the request's body, before the read. */
export function onFirstRead (request: object, first: () => void): void {
  atFirstRead(request, (proceed) => { first(); proceed() })
}

/** The first read of the request's body goes on when `admit` calls proceed (admission: a slot first). */
export function holdFirstRead (request: object, admit: (proceed: () => void) => void): void {
  atFirstRead(request, admit)
}
