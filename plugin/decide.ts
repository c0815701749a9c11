// The decision: from the request line and headers, and the route's policy, to
// what the server answers an expectation with. Pure: no server, no I/O.
import type { IncomingHttpHeaders } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { RawRequest } from './continue'
import { parseExpect } from './expect-field'
import { matchesAny, mediaTypeOf } from './media-type'
import type { RoutePolicy } from './route-policy'
import {
  FST_ERR_CTP_BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE,
  FST_ERR_EXPECTATION_FAILED,
  FST_ERR_EXPECT_INVALID_FRAMING
} from './errors'

export interface RequestHead {
  readonly method?: string
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly headers: IncomingHttpHeaders
  /** HTTP/2 only: the HEADERS frame ended the stream, so there is no body. */
  readonly endStream?: boolean
}

/** The request line and headers of a raw Node request. */
export function headOf (raw: RawRequest): RequestHead {
  return {
    method: raw.method,
    httpVersionMajor: raw.httpVersionMajor,
    httpVersionMinor: raw.httpVersionMinor,
    headers: raw.headers,
    endStream: (raw as Http2ServerRequest).stream?.endAfterHeaders
  }
}

export type RejectReason = 'expectation' | 'framing' | 'media-type' | 'body-limit'

export type Decision =
  /** Nothing to act on: no expectation, or HTTP/1.0, whose expectations a server MUST ignore. */
  | { readonly action: 'ignore', readonly why: 'no-expectation' | 'http/1.0' | 'bodyless-method' }
  /** 100-continue with no body framed: no 100 is needed and the connection stays usable. */
  | { readonly action: 'no-body' }
  /** The route turned the plugin off: 100 at once, as Node does. */
  | { readonly action: 'continue-now' }
  /** No route matches: the not-found handler answers, the body is never read. */
  | { readonly action: 'not-found' }
  /** The headers fail the route's declared rules: answer with this error, body unread. */
  | { readonly action: 'reject', readonly reason: RejectReason, readonly error: Error }
  /** The headers pass: the route's own checks run, then 100 (on the first read, or at once). */
  | { readonly action: 'continue', readonly declaredLength: number | undefined }

const IGNORE_NO_EXPECTATION: Decision = Object.freeze({ action: 'ignore', why: 'no-expectation' })
const IGNORE_HTTP_1_0: Decision = Object.freeze({ action: 'ignore', why: 'http/1.0' })
const IGNORE_BODYLESS_METHOD: Decision = Object.freeze({ action: 'ignore', why: 'bodyless-method' })
const NO_BODY: Decision = Object.freeze({ action: 'no-body' })
const CONTINUE_NOW: Decision = Object.freeze({ action: 'continue-now' })
const NOT_FOUND: Decision = Object.freeze({ action: 'not-found' })

export function decide (head: RequestHead, policy: RoutePolicy): Decision {
  // RFC 9110 §10.1.1: a server that receives 100-continue in an HTTP/1.0 request MUST ignore it.
  if (head.httpVersionMajor === 1 && head.httpVersionMinor === 0) return IGNORE_HTTP_1_0

  const field = parseExpect(head.headers.expect)
  if (field.kind === 'none') return IGNORE_NO_EXPECTATION
  if (field.kind === 'malformed') return reject('expectation', new FST_ERR_EXPECTATION_FAILED(`malformed Expect field (${field.reason})`))
  if (field.kind === 'unsupported') return reject('expectation', new FST_ERR_EXPECTATION_FAILED(`unsupported expectation ${field.expectations.map((e) => JSON.stringify(e)).join(', ')}`))

  const framing = bodyFraming(head)
  if (typeof framing === 'string') return reject('framing', new FST_ERR_EXPECT_INVALID_FRAMING(framing))
  if (!framing.hasBody) return NO_BODY
  // Fastify never reads the body of a GET (HEAD, TRACE, ...): nothing will ask for it, so no 100.
  if (head.method !== undefined && policy.bodylessMethods.has(head.method)) return IGNORE_BODYLESS_METHOD

  if (policy.notFound) return NOT_FOUND
  if (!policy.enabled) return CONTINUE_NOW

  // Same order as Fastify itself: media type (415) before size (413).
  const contentType = head.headers['content-type']
  const media = contentType === undefined ? undefined : mediaTypeOf(contentType)
  if (contentType !== undefined && media === undefined) return reject('media-type', new FST_ERR_CTP_INVALID_MEDIA_TYPE())
  if (policy.contentTypes !== undefined && (media === undefined || !matchesAny(media, policy.contentTypes))) {
    return reject('media-type', new FST_ERR_CTP_INVALID_MEDIA_TYPE())
  }
  if (policy.schemaContentTypes !== undefined && (media === undefined || !matchesAny(media, policy.schemaContentTypes))) {
    return reject('media-type', new FST_ERR_CTP_INVALID_MEDIA_TYPE())
  }
  const parser = policy.parsers.getParser(contentType ?? '')
  if (parser === undefined) return reject('media-type', new FST_ERR_CTP_INVALID_MEDIA_TYPE())

  // The route's limit, else the parser's, else the server's: the limit Fastify applies
  // to buffered bodies, here applied before the body to streamed ones too.
  const limit = policy.bodyLimit ?? parser.bodyLimit ?? policy.serverBodyLimit
  if (framing.length !== undefined && framing.length > limit) return reject('body-limit', new FST_ERR_CTP_BODY_TOO_LARGE())

  return { action: 'continue', declaredLength: framing.length }
}

function reject (reason: RejectReason, error: Error): Decision {
  return { action: 'reject', reason, error }
}

type Framing = { hasBody: boolean, length: number | undefined }

/** What the headers say about the body, or why they cannot be trusted. */
export function bodyFraming (head: RequestHead): Framing | string {
  const length = parseContentLength(head.headers['content-length'])
  if (typeof length === 'string') return length
  const chunked = head.headers['transfer-encoding'] !== undefined
  // RFC 9112 §6.1: both at once is how requests are smuggled; refuse rather than guess.
  if (chunked && length !== undefined) return 'both Content-Length and Transfer-Encoding'
  if (head.httpVersionMajor === 2 && head.endStream !== undefined) {
    return { hasBody: !head.endStream, length }
  }
  return { hasBody: chunked || (length !== undefined && length > 0), length }
}

/** Content-Length = 1*DIGIT; a list of identical values counts as one (RFC 9110 §8.6). */
export function parseContentLength (value: string | string[] | undefined): number | undefined | string {
  if (value === undefined) return undefined
  const values = (Array.isArray(value) ? value.join(',') : value).split(',').map((v) => v.trim())
  if (!values.every((v) => /^\d+$/.test(v))) return `Content-Length ${JSON.stringify(value)} is not a number`
  if (!values.every((v) => BigInt(v) === BigInt(values[0] as string))) return `conflicting Content-Length values ${JSON.stringify(value)}`
  return Number(values[0])
}
