// HTTP/2: an expectation stream answered before its body ended (RFC 9113 §8.1).
//
// After the complete response the server asks the client to stop sending with
// RST_STREAM(NO_ERROR); the session carries on with its other streams. Node
// does this by itself for a stream nobody read, but on the next tick: curl 7.88
// then often sees the stream closed while it is still uploading and drops the
// answer it already received (error 92). So for the streams the plugin handles
// (those with an expectation) the reset goes out a moment after the response.
// Meanwhile the stream is not read at all: what the client still sends stays
// unacknowledged, so it can send at most what its flow-control window allows,
// as if the plugin were not there (reading and dropping would keep refilling the
// window). A stream the client left open without a body (HEAD, GET) is reset
// the same way.
import { constants, type ServerHttp2Stream } from 'node:http2'
import { neverReadAgain, shadow } from '../internals/node'

/** How long after the response the reset goes out: enough for a client to take the answer in. */
export const RESET_DELAY_MS = 20

export function resetAfterEarlyAnswer (stream: ServerHttp2Stream): void {
  // Node ends the write side of a HEAD stream before anyone answers: there the
  // response is out once its headers are (they carry END_STREAM).
  if (stream.writableFinished) {
    const respond = stream.respond
    const restore = shadow(stream, 'respond', function (this: ServerHttp2Stream, ...args: Parameters<typeof respond>): void {
      restore()
      respond.apply(this, args)
      answered(stream)
    })
  } else {
    stream.once('finish', () => answered(stream))
  }
}

function answered (stream: ServerHttp2Stream): void {
  if (stream.readableEnded || stream.destroyed) return
  // Paused, Node reads nothing (so sends no window update); a later resume by
  // whoever read the body (a parser, Node's compat layer) would acknowledge all
  // that arrived meanwhile, so nobody may resume it before the reset.
  neverReadAgain(stream as unknown as Parameters<typeof neverReadAgain>[0])
  // Destroyed too: a stream reset while unread would otherwise wait for a
  // readable end that never comes, and hold its session open.
  const timer = setTimeout(() => {
    stream.close(constants.NGHTTP2_NO_ERROR)
    stream.destroy()
  }, RESET_DELAY_MS)
  stream.once('close', () => clearTimeout(timer))
}
