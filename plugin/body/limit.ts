// A body of unknown length (chunked, or HTTP/2 without Content-Length) held to
// the limit its fate gives, whoever reads it: a parser through the payload
// stream, or a handler on request.raw. Bytes are counted as Node hands them to
// the request stream (internals/node.ts), and as they pass the payload (after
// the route's own preParsing streams, which may decode); past the limit the
// body stops, and the answer is 413.
import { Transform, type Readable } from 'node:stream'
import { onFirstRead, watchPushes } from '../internals/node'
import type { RawRequest } from '../way-in/continue'

/**
 * @param over called once, with the stream Fastify's parser reads: the answer is
 *   given through it when a parser listens to it, else directly.
 */
export function holdToLimit (raw: RawRequest, payload: Readable, limit: number, over: (stream: Readable) => void): Readable {
  let wire = 0
  let passed = 0
  let stopped = false
  const counter = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      passed += chunk.length
      if (passed > limit) stop()
      callback(null, stopped ? undefined : chunk)
    }
  })
  const stop = (): void => {
    if (stopped) return
    stopped = true
    payload.unpipe(counter)
    over(counter)
  }
  watchPushes(raw, (chunk) => {
    if (stopped) return false
    wire += chunk.length
    if (wire > limit) {
      stop()
      return false
    }
    return true
  })
  // Piped on the first read only: a body answered for before anything reads it stays untouched (HTTP/2: Node's own reset).
  onFirstRead(counter, () => { if (!stopped) payload.pipe(counter) })
  return counter
}
