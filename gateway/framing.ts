// The framing of the forwarded body. The upstream must read exactly the body the
// gateway read, and nothing after it as a request: the gateway decides the framing
// from the client's head with the plugin's own decision code (bodyFraming), and
// always states it on the upstream leg (Content-Length when known, chunked
// otherwise), whatever the method. Node's ClientRequest does not chunk a body on
// GET, HEAD, DELETE or OPTIONS unless told to: without this, such a body goes up
// as raw bytes, which the upstream reads as the next request.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { bodyFraming, type Framing } from '../plugin/decision/framing'
import { FST_ERR_EXPECT_GATEWAY_FRAMING } from './errors'

export type { Framing }

/** What the gateway reads of a client request's head (Node's IncomingMessage or Http2ServerRequest). */
export interface ClientHead {
  readonly method?: string
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly headers: IncomingHttpHeaders
  /** HTTP/2: the stream, whose HEADERS frame may have ended it. */
  readonly stream?: { readonly endAfterHeaders?: boolean }
}

const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding'])

/**
 * The body's framing, or FST_ERR_EXPECT_GATEWAY_FRAMING (400) when it cannot be
 * forwarded intact: a Connection field naming a framing field (it would strip
 * the framing as hop-by-hop), framing the plugin refuses (both fields, conflicting
 * or invalid lengths, a transfer coding other than chunked last), or a transfer
 * coding besides chunked (the upstream would get the coded bytes without it).
 */
export function forwardFraming (head: ClientHead): Framing {
  for (const name of connectionNames(head.headers)) {
    if (FRAMING_FIELDS.has(name)) throw new FST_ERR_EXPECT_GATEWAY_FRAMING(`Connection names ${name}`)
  }
  const framing = bodyFraming({
    method: head.method,
    httpVersionMajor: head.httpVersionMajor,
    httpVersionMinor: head.httpVersionMinor,
    headers: head.headers,
    endStream: head.stream?.endAfterHeaders
  })
  if (typeof framing === 'string') throw new FST_ERR_EXPECT_GATEWAY_FRAMING(framing)
  const coding = head.headers['transfer-encoding']
  if (coding !== undefined && String(coding).trim().toLowerCase() !== 'chunked') {
    throw new FST_ERR_EXPECT_GATEWAY_FRAMING('a transfer coding other than chunked')
  }
  return framing
}

/** The field names a Connection field lists, lower-cased. */
export function connectionNames (headers: IncomingHttpHeaders): string[] {
  const field = headers.connection
  if (field === undefined) return []
  return String(field).split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
}

/**
 * The upstream fields with the framing stated: any framing field already there
 * (from the client or a rewriteRequestHeaders) replaced by the body's own.
 */
export function framedHeaders (headers: OutgoingHttpHeaders, framing: Framing): OutgoingHttpHeaders {
  const framed: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!FRAMING_FIELDS.has(name.toLowerCase())) framed[name] = value
  }
  if (framing.length !== undefined) framed['content-length'] = String(framing.length)
  else if (framing.hasBody) framed['transfer-encoding'] = 'chunked'
  return framed
}
