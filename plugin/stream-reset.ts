// HTTP/2: an expectation stream answered before its body ended (RFC 9113 §8.1).
//
// After the complete response the server asks the client to stop sending with
// RST_STREAM(NO_ERROR); the session carries on with its other streams. Node
// does this by itself for a stream nobody read, but on the next tick: curl 7.88
// then often sees the stream closed while it is still uploading and drops the
// answer it already received (error 92). So for the streams the plugin handles
// (those with an expectation), what the client still sends is read and thrown
// away, which keeps the client moving, and the reset goes out a moment after the
// response, bounded by the byte limit of lingering (linger.ts).
import { constants, type ServerHttp2Stream } from 'node:http2'
import type { ResolvedOptions } from './options'

/** How long after the response the reset goes out: enough for a client to take the answer in. */
export const RESET_DELAY_MS = 20

export function resetAfterEarlyAnswer (stream: ServerHttp2Stream, options: Pick<ResolvedOptions, 'lingerBytes'>): void {
  // Registered before Node's own 'finish' listener (added when the response ends),
  // so the stream is flowing by the time Node would reset it on the next tick.
  stream.once('finish', () => {
    if (stream.readableEnded || stream.destroyed) return
    let bytes = 0
    // Destroyed too: a stream reset while its reader had paused would otherwise
    // wait for a readable end that never comes, and hold its session open.
    const reset = (): void => {
      stream.close(constants.NGHTTP2_NO_ERROR)
      stream.destroy()
    }
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > options.lingerBytes) reset()
    })
    const timer = setTimeout(reset, RESET_DELAY_MS)
    stream.once('close', () => clearTimeout(timer))
  })
}
