// Every Node internal the plugin reaches, and nowhere else: the shapes of
// lib/_http_server.js, lib/_http_incoming.js and lib/internal/http2/compat.js
// it relies on, each with what happens without it (NODE_INTERNALS; the
// README's table is checked against it). Each access checks the shape it
// needs where it is used and falls back to Node's own behaviour when absent.
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket as NetSocket } from 'node:net'
import { Http2ServerRequest } from 'node:http2'
import type { Socket } from 'node:net'
import type { InternalUse } from './fastify'

export const NODE_INTERNALS: readonly InternalUse[] = [
  { name: 'Node\'s `ServerResponse.prototype.writeHead`, wrapped once, and `res.req`', what: 'a client that sent its whole body without waiting for the 100 keeps its connection once the body is read; an expectation\'s answer after which Node ends the connection is where its staged close begins', fallback: 'Node closes that connection after the answer, at once' },
  { name: 'Node `res._expect_continue`', what: 'keeping the connection of a bodyless expectation request open; a client that sent its whole body without waiting keeps its connection', fallback: 'Node closes it after the response' },
  { name: 'Node `res._last`', what: 'whether the connection ends after a response: the pipelining hold, and the staged close of an expectation\'s connection', fallback: 'requests held behind it are dropped with the connection; Node\'s own immediate close' },
  { name: 'Node\'s connection parser (`socket.parser`, its `incoming` and `onIncoming`), `socket._handle` (`reading`, `readStart`, `readStop`)', what: 'staged close, holding requests pipelined behind an expectation request', fallback: 'Node\'s own immediate close' },
  { name: 'Node\'s `net.Socket.prototype.destroySoon` (what the HTTP server calls to end a connection after its last response), wrapped once', what: 'staged close, for the connections marked by it', fallback: 'Node\'s own immediate close' },
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
// classes (http.IncomingMessage, http2's Http2ServerRequest), wrapped once, when
// the plugin registers (wrapNodeClasses): an own _read on the waiting requests would
// give them a class of their own (and deleting it, a dictionary on Node 22 and
// later), and Node's stream code, shared by every later request, would meet one
// more shape (Readable.read and resume went megamorphic). The hook goes at the
// first read or when the answer finishes (finishFirstRead).
// Where a waiting request is found:
// - HTTP/1, in a slot of its connection, reused by each request: a connection has
//   one request waiting at a time (the pipelining hold dispatches no other before
//   its answer). An entry per request in a WeakMap cost about 1,000 instructions
//   each (callgrind): a young key in an old table is an ephemeron record, and the
//   table rehashed as entries came and went. The slot holds its request only
//   while it waits, so a young connection's entry never keeps itself alive.
// - HTTP/2, a WeakMap keyed by the request (its stream is its connection).
// Any other request pays one lookup per _read call.
type FirstRead = (proceed: () => void) => void
interface Slot { request: object | null, first: FirstRead | null }
const slots = new WeakMap<object, Slot>()
const firstReads = new WeakMap<object, FirstRead>()
/** How a request's first read is found: by its connection (HTTP/1), by itself (HTTP/2), or not (an own _read). */
type Store = 'connection' | 'request' | false
/** The wrapped _read of each class (undefined: not wrapped, that class's requests get an own _read). */
let connectionRead: unknown
let requestRead: unknown

/** A request of a class whose _read is wrapped reaches the wrapper: no walk of its prototypes, no lookup. */
function storeOf (request: object): Store {
  const read = (request as { _read?: unknown })._read
  if (read === undefined) return false
  return read === connectionRead ? 'connection' : read === requestRead ? 'request' : false
}

/** Wraps the _read `proto` owns (Node's request classes); the wrapper, or undefined. */
function wrapRead (proto: object, store: 'connection' | 'request'): unknown {
  if (!Object.prototype.hasOwnProperty.call(proto, '_read')) return undefined
  const reading = proto as { _read (size: number): void }
  const read = reading._read
  if (typeof read !== 'function') return undefined
  reading._read = store === 'connection'
    ? function _read (this: { socket: object | null }, size: number): void {
      const slot = slots.get(this.socket as object)
      if (slot === undefined || slot.request !== this) return read.call(this, size)
      const first = slot.first as FirstRead
      slot.request = null
      slot.first = null
      first(() => { read.call(this, size) })
    }
    : function _read (this: object, size: number): void {
      const first = firstReads.get(this)
      if (first === undefined) return read.call(this, size)
      firstReads.delete(this)
      first(() => { read.call(this, size) })
    }
  return reading._read
}

/** The connection's slot, where `request` may wait (undefined: another request waits there). */
function slotFor (request: object): Slot | undefined {
  const socket = (request as { socket?: object | null }).socket
  if (socket == null) return undefined
  let slot = slots.get(socket)
  if (slot === undefined) {
    slot = { request: null, first: null }
    slots.set(socket, slot)
  }
  return slot.request === null || slot.request === request ? slot : undefined
}

/**
 * Runs `before(proceed)` at the first read of the request's body; the read goes
 * on when it calls proceed(). A later hook runs first (admission's slot, then the 100).
 */
function atFirstRead (request: object, before: FirstRead): void {
  const store = storeOf(request)
  if (store === 'connection') {
    const slot = slotFor(request)
    if (slot !== undefined) {
      const inner = slot.request === request ? slot.first : null
      slot.request = request
      slot.first = inner === null ? before : (proceed) => { before(() => { inner(proceed) }) }
      return
    }
  } else if (store === 'request') {
    const inner = firstReads.get(request)
    firstReads.set(request, inner === undefined ? before : (proceed) => { before(() => { inner(proceed) }) })
    return
  }
  // Not one of Node's request classes (another runtime's, or a class of the app's own),
  // or a connection whose slot is taken: an own _read (a later one runs first).
  const own = request as { _read (size: number): void }
  const read = own._read
  const restore = shadow(own, '_read', function readFirst (this: typeof own, size: number) {
    restore()
    before(() => { read.call(this, size) })
  })
}

/** The request's answer is out: nothing waits for its first read any more. */
export function finishFirstRead (request: object): void {
  const store = storeOf(request)
  if (store === 'connection') {
    const slot = slots.get((request as { socket?: object | null }).socket as object)
    if (slot !== undefined && slot.request === request) {
      slot.request = null
      slot.first = null
    }
  } else if (store === 'request') {
    firstReads.delete(request)
  }
}

/** `first` runs at the first read of the request's body, before the read. */
export function onFirstRead (request: object, first: () => void): void {
  atFirstRead(request, (proceed) => { first(); proceed() })
}

/** The first read of the request's body goes on when `admit` calls proceed (admission: a slot first). */
export function holdFirstRead (request: object, admit: (proceed: () => void) => void): void {
  atFirstRead(request, admit)
}

// How a connection ends after its last response: Node's HTTP server calls
// socket.destroySoon(). Wrapped once on net.Socket.prototype, for the sockets a
// staged close marked (linger.ts: from an answer that may leave a body unread
// until that answer is out), each with the closer of its app; every other socket
// goes straight to Node's. Marking a connection costs no listener and no
// own property on Node's objects (either one per request cost more than the
// rest of the staged close).
type Closer = (socket: HttpSocket, close: (socket: HttpSocket) => void) => void
const closers = new WeakMap<object, Closer | null>()
let nodeDestroySoon: ((this: NetSocket) => void) | null | undefined

/** Node's own destroySoon for this socket. */
function destroySoonOf (socket: HttpSocket): void {
  const own = nodeDestroySoon
  if (typeof own === 'function') own.call(socket)
  else socket.destroySoon()
}

function wrapDestroySoon (): void {
  const proto = NetSocket.prototype as { destroySoon?: (this: NetSocket) => void }
  const own = proto.destroySoon
  nodeDestroySoon = typeof own === 'function' ? own : null
  if (typeof own !== 'function') return
  proto.destroySoon = function destroySoon (this: NetSocket): void {
    const close = closers.get(this)
    if (close == null) return own.call(this)
    closers.set(this, null)
    close(this as HttpSocket, destroySoonOf)
  }
}

/**
 * When Node ends this connection with destroySoon(), `closer` does it instead
 * (with Node's own close at hand). Nothing when the runtime's sockets have no
 * destroySoon to wrap: Node's (or the runtime's) immediate close then.
 */
export function closeThrough (socket: Socket, closer: Closer): void {
  if (nodeDestroySoon != null && closers.get(socket) !== closer) closers.set(socket, closer)
}

/** Node's own destroySoon for this connection again (the answer it was marked for is out). */
export function closeAsNode (socket: Socket): void {
  // Set, not deleted: an entry updated in place costs no rehash of the table.
  if (closers.get(socket) != null) closers.set(socket, null)
}

// A final status to an expectation request that got no 100 makes Node close the
// connection (its writeHead), lest the client's body be read as requests. Once the
// whole body has been read (before the answer) the framing is intact and the
// connection can stay: ServerResponse.prototype.writeHead, wrapped once, forgives
// such a response as its headers are written. (A listener on the request for its
// 'end' did this before: added before Fastify had stored the request, it gave the
// request an own `_eventsCount` on Node 22 and later, a shape of its own, and
// Fastify's stores of requests met two shapes: its payload store went megamorphic,
// about 900 instructions on every later request with a body.)
// And writeHead is where an expectation's answer shows (Node's `_expect_continue`
// marks a 100-continue request's response) and where Node decides that the
// connection ends after it (`_last`: Connection: close, HTTP/1.0, a final status
// owed a 100): one call to `headWritten` (way-in/continue.ts) for those responses,
// none for the others. A 'finish' listener on each expectation's response, and
// the staged close's mark set as it arrived and cleared once answered, cost about
// 1,000 instructions per accepted upload (callgrind, Node 22).
type HeadWritten = (response: ServerResponse) => void
let headWritten: HeadWritten | undefined
let wrappedWriteHead: unknown

/** `handler` hears of each expectation's response, and each response after which Node ends the connection, as its head is written. */
export function onHeadWritten (handler: HeadWritten): void {
  headWritten = handler
}

/** Heads written through this response's writeHead are heard of: it is the wrapped one (not an app's own, nor another runtime's). */
export function headsHeard (response: object): boolean {
  return wrappedWriteHead !== undefined && (response as NodeResponse).writeHead === wrappedWriteHead
}

/** This response's head will be heard of (onHeadWritten) whatever its status: Node's, for a 100-continue request. */
export function headHeard (response: object): boolean {
  return (response as NodeResponse)._expect_continue === true && headsHeard(response)
}

function wrapWriteHead (): boolean {
  type WriteHead = (this: NodeResponse, statusCode: number, reason?: unknown, headers?: unknown) => unknown
  const proto = ServerResponse.prototype as unknown as { writeHead: WriteHead }
  const nodeWriteHead = proto.writeHead
  if (typeof nodeWriteHead !== 'function') return false
  const writeHead = function writeHead (this: NodeResponse, statusCode: number, reason?: unknown, headers?: unknown): unknown {
    const expecting = this._expect_continue === true
    if (expecting && (this.req as IncomingMessage | undefined)?.readableEnded === true) this._expect_continue = false
    const written = nodeWriteHead.call(this, statusCode, reason, headers)
    if ((expecting || this._last === true) && headWritten !== undefined) {
      // The head is written: nothing of the plugin's may fail the answer now.
      try {
        headWritten(this)
      } catch {}
    }
    return written
  }
  wrappedWriteHead = writeHead
  proto.writeHead = writeHead
  return true
}

let installed = false
let writeHeadWrapped = false

/**
 * Every wrap of Node's classes, once, when the plugin registers: replacing a
 * method on a prototype later, once requests have been served, invalidates what
 * V8 learnt about the objects built on it, and the stores that add properties to
 * new requests and responses (EventEmitter's constructor, Node's own
 * parserOnIncoming) went megamorphic for the rest of the process, about 1,000
 * instructions on every request (callgrind, Node 22).
 */
export function wrapNodeClasses (): string[] {
  if (!installed) {
    installed = true
    connectionRead = wrapRead(IncomingMessage.prototype, 'connection')
    requestRead = wrapRead(Http2ServerRequest.prototype, 'request')
    wrapDestroySoon()
    writeHeadWrapped = wrapWriteHead()
  }
  // What this runtime's classes lack, each with what the plugin does without it.
  const missing: string[] = []
  if (connectionRead === undefined) missing.push('http.IncomingMessage.prototype._read (an own _read on each waiting request instead)')
  if (requestRead === undefined) missing.push('http2.Http2ServerRequest.prototype._read (an own _read on each waiting request instead)')
  if (!writeHeadWrapped) missing.push('http.ServerResponse.prototype.writeHead (a client that sent its whole body without waiting for the 100 loses its connection after the answer)')
  if (nodeDestroySoon === null) missing.push('net.Socket.prototype.destroySoon (no staged close: connections refused before their body close at once)')
  return missing
}
