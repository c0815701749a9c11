// Every Node internal the plugin reaches, and nowhere else: the shapes of
// lib/_http_server.js, lib/_http_incoming.js and lib/internal/http2/compat.js
// it relies on, each with what happens without it (NODE_INTERNALS; the
// README's table is checked against it). Each access checks the shape it
// needs where it is used and falls back to Node's own behaviour when absent.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { InternalUse } from './fastify'

export const NODE_INTERNALS: readonly InternalUse[] = [
  { name: 'Node `res._expect_continue`', what: 'keeping the connection of a bodyless expectation request open; a client that sent its whole body without waiting keeps its connection', fallback: 'Node closes it after the response' },
  { name: 'Node `res._last`', what: 'whether the connection ends after a response: the pipelining hold, and the staged close, given to a connection only then', fallback: 'requests held behind it are dropped with the connection; the staged close is given to every connection that may close with a body unread' },
  { name: 'Node\'s connection parser (`socket.parser`, its `incoming` and `onIncoming`), `socket._handle` (`reading`, `readStart`, `readStop`), `socket.destroySoon`', what: 'staged close, holding requests pipelined behind an expectation request', fallback: 'Node\'s own immediate close' },
  { name: 'Node\'s request stream `_read()` (every body reader ends up there)', what: 'the 100 on the first read of the body, and an upload slot taken before it (admission)', fallback: 'none: a public method of Readable, called by Readable itself' },
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
 * Gives `object` an own `key` until the returned restore() is called. An own
 * property gives a Node object another hidden class, and Node's stream code,
 * shared by every request and connection, then meets one more shape (slower
 * for all the plain requests that follow, megamorphic at last). Deleting the
 * property while it is the last one added takes the object back to its former
 * class; assigning the old value back would leave it a class of its own for life.
 */
export function shadow<T extends object, K extends keyof T> (object: T, key: K, value: T[K]): () => void {
  const own = Object.prototype.hasOwnProperty.call(object, key)
  const previous = object[key]
  object[key] = value
  let restored = false
  return () => {
    if (restored) return
    restored = true
    if (object[key] !== value) return // shadowed again since, by someone who restores their own
    if (own) object[key] = previous
    else delete object[key]
  }
}

/**
 * HTTP/2: a stream that will never be read again, whoever calls resume() or
 * read() on it. Own methods, kept: the stream is reset a moment later, and
 * Node has added properties of its own since (deleting then would turn it into
 * a dictionary).
 */
export function neverReadAgain (stream: { pause (): unknown, resume (): unknown, _read (size: number): void }): void {
  stream.pause()
  stream.resume = function resume () { return this }
  stream._read = function read () {}
}

/**
 * Each body chunk Node hands a request stream (HTTP/1 parser, HTTP/2 compat) goes
 * through its push(): an own push sees every byte, whoever reads the stream,
 * until the end of the body. `take` returns false to drop the chunk (and ask Node to stop reading).
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

/**
 * Shadows the stream's _read for its first call and lets `admit` decide when
 * that read goes on (admission: a slot first); later reads are Node's own.
 */
export function holdFirstRead (stream: object, admit: (proceed: () => void) => void): void {
  type Reading = { _read (size: number): void }
  const own = stream as Reading
  const read = own._read
  const restore = shadow(own, '_read', function readWhenAdmitted (this: Reading, size: number) {
    restore()
    admit(() => { read.call(this, size) })
  })
}

/** Shadows the stream's _read for its first call, then Node's own again. */
export function onFirstRead (stream: object, first: () => void): void {
  type Reading = { _read (size: number): void }
  const own = stream as Reading
  const read = own._read
  const restore = shadow(own, '_read', function readOnce (this: Reading, size: number) {
    restore()
    first()
    return read.call(this, size)
  })
}
