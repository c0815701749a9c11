// The header fields a gateway passes on, each way. Hop-by-hop fields (RFC 9110
// §7.6.1) describe one connection and are never forwarded, nor are the fields
// a Connection field names (removed before rewriteRequestHeaders runs, so a
// client cannot strip a field the app adds), HTTP/2 pseudo-headers, or any
// Proxy-* field (credentials and state meant for a proxy, not the upstream).
// The framing fields are not decided here: framing.ts states them (and refuses a
// Connection that names them). The gateway sets `host` and `expect` on the
// upstream leg itself.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { parseExpect } from '../plugin/decision/expect-field'
import { connectionNames } from './framing'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'
])

/** A copy without hop-by-hop fields, fields named in Connection, Proxy-* fields and pseudo-headers. */
export function endToEndHeaders (headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(connectionNames(headers))
  const copy: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || name.startsWith('proxy-') || HOP_BY_HOP.has(name) || named.has(name)) continue
    copy[name] = value
  }
  return copy
}

/** The request fields for the upstream leg: end-to-end fields, the upstream's host, no expectation yet. */
export function upstreamRequestHeaders (headers: IncomingHttpHeaders, host: string): OutgoingHttpHeaders {
  const copy = endToEndHeaders(headers)
  delete copy.expect
  copy.host = host
  return copy
}

/** `Expect: 100-continue` and nothing else, as the plugin reads the field (expect-field.ts). */
export function expectsContinue (headers: IncomingHttpHeaders): boolean {
  return parseExpect(headers.expect).kind === 'continue'
}
