// Request framing the RFC forbids (RFC 9112 §6.1, §6.3, §7).
//
// Node's strict parser already answers 400 itself to a Transfer-Encoding whose
// final coding is not `chunked`; with `insecureHTTPParser` (or the process flag)
// such a request reaches the app, its body read until the connection ends. A
// server MUST answer it with 400 and close the connection: where the body ends
// cannot be known, so nothing after it can be read as a request. Pure rule here;
// server-events.ts wires it where the parser is lenient.
import type { IncomingHttpHeaders } from 'node:http'

export type FramingFault =
  /** The final transfer coding is not `chunked`, or there is no coding at all. */
  | 'transfer-coding'
  /** `chunked` applied more than once. */
  | 'chunked-twice'
  /** Transfer-Encoding in an HTTP/1.0 request. */
  | 'transfer-encoding-http10'

/** Why the request's framing is forbidden, or undefined when it is acceptable. */
export function framingFault (headers: IncomingHttpHeaders, httpVersion: string): FramingFault | undefined {
  const field = headers['transfer-encoding']
  if (field === undefined) return undefined
  if (httpVersion === '1.0' || httpVersion === '0.9') return 'transfer-encoding-http10'
  // Node joins repeated field lines with ', '; parameters are part of the coding:
  // only a bare `chunked` is what the parser frames as chunked.
  const codings = String(field).split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '')
  if (codings.length === 0 || codings[codings.length - 1] !== 'chunked') return 'transfer-coding'
  if (codings.indexOf('chunked') !== codings.length - 1) return 'chunked-twice'
  return undefined
}
