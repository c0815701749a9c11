// The header fields a gateway passes on, each way. Hop-by-hop fields (RFC 9110
// §7.6.1) describe one connection and are never forwarded; neither are HTTP/2
// pseudo-headers. The gateway sets `host` and `expect` on the upstream leg itself.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'
])

/** A copy without hop-by-hop fields, fields named in Connection, and pseudo-headers. */
export function endToEndHeaders (headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))
  const copy: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || named.has(name)) continue
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

/** Whether the request's framing announces a body (chunked, or a positive Content-Length). */
export function announcesBody (headers: IncomingHttpHeaders, http2EndStream?: boolean): boolean {
  if (http2EndStream !== undefined) return !http2EndStream
  if (headers['transfer-encoding'] !== undefined) return true
  const length = Number(headers['content-length'] ?? 0)
  return Number.isNaN(length) || length > 0
}

/** `100-continue` among the expectations (the field is a case-insensitive list). */
export function expectsContinue (headers: IncomingHttpHeaders): boolean {
  const field = headers.expect
  if (field === undefined) return false
  return String(field).split(',').some((item) => item.trim().toLowerCase() === '100-continue')
}
