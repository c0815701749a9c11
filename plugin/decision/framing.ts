// What a request head says about its body (RFC 9112 §6.1, §6.3, §7; RFC 9110
// §8.6): framed or not, its length, or why the framing cannot be trusted. Pure,
// and free of Fastify: the gateway frames what it forwards with the same code.
//
// Node's strict parser already answers 400 itself to a Transfer-Encoding whose
// final coding is not `chunked`; with `insecureHTTPParser` (or the process flag)
// such a request reaches the app, its body read until the connection ends. A
// server MUST answer it with 400 and close the connection: where the body ends
// cannot be known, so nothing after it can be read as a request
// (way-in/framing-guard.ts wires that rule where the parser is lenient).
import type { IncomingHttpHeaders } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'

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

export interface RequestHead {
  readonly method?: string
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly headers: IncomingHttpHeaders
  /** HTTP/2 only: the HEADERS frame ended the stream, so there is no body. */
  readonly endStream?: boolean
}

type HeadSource = RequestHead & { stream?: Http2ServerRequest['stream'] }

/** The request line and headers of a raw Node request. */
export function headOf (raw: HeadSource): RequestHead {
  return {
    method: raw.method,
    httpVersionMajor: raw.httpVersionMajor,
    httpVersionMinor: raw.httpVersionMinor,
    headers: raw.headers,
    endStream: raw.stream?.endAfterHeaders
  }
}

export interface Framing { readonly hasBody: boolean, readonly length: number | undefined }

/** What the headers say about the body, or why they cannot be trusted. */
export function bodyFraming (head: RequestHead): Framing | string {
  // Read once: on Node's request, `headers` is a getter.
  const headers = head.headers
  const length = parseContentLength(headers['content-length'])
  if (typeof length === 'string') return length
  const chunked = headers['transfer-encoding'] !== undefined
  // RFC 9112 §6.1: both at once is how requests are smuggled; refuse rather than guess.
  if (chunked && length !== undefined) return 'both Content-Length and Transfer-Encoding'
  // RFC 9112 §6.3: a body whose end cannot be known.
  const fault = chunked && head.httpVersionMajor === 1 ? framingFault(headers, `1.${head.httpVersionMinor}`) : undefined
  if (fault !== undefined) return `Transfer-Encoding ${JSON.stringify(headers['transfer-encoding'])} (${fault})`
  if (head.httpVersionMajor === 2 && head.endStream !== undefined) return { hasBody: !head.endStream, length }
  return { hasBody: chunked || (length !== undefined && length > 0), length }
}

/**
 * The body's declared length (undefined: chunked, its length unknown), or null when
 * no body is framed or its framing cannot be trusted. The common HTTP/1 head (a
 * Content-Length, no Transfer-Encoding) is read without building a Framing.
 */
export function bodyLength (head: RequestHead): number | undefined | null {
  const headers = head.headers
  if (head.httpVersionMajor === 1 && headers['transfer-encoding'] === undefined) {
    const length = parseContentLength(headers['content-length'])
    return typeof length === 'number' && length > 0 ? length : null
  }
  const framing = bodyFraming(head)
  return typeof framing === 'string' || !framing.hasBody ? null : framing.length
}

/** Content-Length = 1*DIGIT; a list of identical values counts as one (RFC 9110 §8.6). */
export function parseContentLength (value: string | string[] | undefined): number | undefined | string {
  if (value === undefined) return undefined
  // The usual field, a few digits: no list to split, and summed here (exact up to 15
  // digits): Number() on a string goes through V8's runtime, which hashes it first.
  if (typeof value === 'string' && value.length > 0 && value.length <= 15) {
    let length = 0
    for (let i = 0; i < value.length; i++) {
      const digit = value.charCodeAt(i) - 0x30
      if (digit < 0 || digit > 9) {
        length = -1
        break
      }
      length = length * 10 + digit
    }
    if (length >= 0) return length
  }
  const values = (Array.isArray(value) ? value.join(',') : value).split(',').map((v) => v.trim())
  if (!values.every((v) => /^\d+$/.test(v))) return `Content-Length ${JSON.stringify(value)} is not a number`
  if (!values.every((v) => BigInt(v) === BigInt(values[0] as string))) return `conflicting Content-Length values ${JSON.stringify(value)}`
  return Number(values[0])
}
