// The decision, as pure functions of the request head (and a route's rules):
// no server, no I/O. Two stages, as the request meets them:
// - decide(): at the server, before routing: what Node hands over with an
//   expectation (417, bad framing, no body, or wait for the first read);
// - checkRules(): at a route that declares rules, before its body is read,
//   for every request with a body, whether it carries Expect or not.
import { parseExpect } from './expect-field'
import { bodyFraming, parseContentLength, type Framing, type RequestHead } from './framing'
import { matchesAny, mediaTypeOf, type MediaRange } from './media-type'
import {
  FST_ERR_CTP_BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE,
  FST_ERR_EXPECTATION_FAILED,
  FST_ERR_EXPECT_INVALID_FRAMING
} from './errors'

export type RejectReason = 'expectation' | 'framing' | 'media-type' | 'body-limit'

export interface Rejection {
  readonly action: 'reject'
  readonly reason: RejectReason
  readonly error: Error & { statusCode?: number }
}

export type Decision =
  /** HTTP/1.0 (a server MUST ignore its expectations) or no Expect field at all. */
  | { readonly action: 'ignore' }
  /** 100-continue with no body framed: nothing to send a 100 for; the connection stays usable. */
  | { readonly action: 'no-body', readonly declaredLength: number | undefined, readonly framing: Framing }
  /** 100-continue with a body: the app answers, and the 100 goes out on the first read. */
  | { readonly action: 'wait', readonly declaredLength: number | undefined, readonly framing: Framing }
  /** Answer at once with this error; the body is never read (`framed`: there may be one, so the connection ends). */
  | Rejection & { readonly declaredLength: number | undefined, readonly framed: boolean }

const IGNORE: Decision = Object.freeze({ action: 'ignore' })

export function decide (head: RequestHead): Decision {
  // RFC 9110 §10.1.1: a server that receives 100-continue in an HTTP/1.0 request MUST ignore it.
  if (head.httpVersionMajor === 1 && head.httpVersionMinor === 0) return IGNORE
  const field = parseExpect(head.headers.expect)
  if (field.kind === 'none') return IGNORE
  const framing = bodyFraming(head)
  const framed = typeof framing === 'string' || framing.hasBody
  const declaredLength = typeof framing === 'string' ? declared(head) : framing.length
  if (field.kind === 'malformed') return { ...reject('expectation', new FST_ERR_EXPECTATION_FAILED(`malformed Expect field (${field.reason})`)), declaredLength, framed }
  if (field.kind === 'unsupported') return { ...reject('expectation', new FST_ERR_EXPECTATION_FAILED(`unsupported expectation ${field.expectations.map((e) => JSON.stringify(e)).join(', ')}`)), declaredLength, framed }
  if (typeof framing === 'string') return { ...reject('framing', new FST_ERR_EXPECT_INVALID_FRAMING(framing)), declaredLength, framed }
  return { action: framing.hasBody ? 'wait' : 'no-body', declaredLength, framing }
}

/** Content-Length when it is a number, whatever else is wrong with the framing. */
function declared (head: RequestHead): number | undefined {
  const length = parseContentLength(head.headers['content-length'])
  return typeof length === 'number' ? length : undefined
}

/** What a route declares about the bodies it takes. */
export interface BodyRules {
  /** `config.expect.contentTypes`. */
  readonly contentTypes: readonly MediaRange[] | undefined
  /** Media types of `schema.body.content`. */
  readonly schemaContentTypes: readonly MediaRange[] | undefined
  /** The route's own `bodyLimit`. */
  readonly bodyLimit: number | undefined
}

const PASS = Object.freeze({ action: 'pass' as const })

/** The route's rules against a head that frames a body: 415 before 413, as Fastify orders them. */
export function checkRules (head: RequestHead, rules: BodyRules, declaredLength: number | undefined): Rejection | typeof PASS {
  if (!acceptsMediaType(rules, head.headers['content-type'])) return rejection('media-type')
  if (rules.bodyLimit !== undefined && declaredLength !== undefined && declaredLength > rules.bodyLimit) return rejection('body-limit')
  return PASS
}

/** Whether a Content-Type value (undefined: none sent) is one the route's declared media types take. */
export function acceptsMediaType (rules: Pick<BodyRules, 'contentTypes' | 'schemaContentTypes'>, contentType: string | undefined): boolean {
  if (rules.contentTypes === undefined && rules.schemaContentTypes === undefined) return true
  const media = contentType === undefined ? undefined : mediaTypeOf(contentType)
  return media !== undefined &&
    (rules.contentTypes === undefined || matchesAny(media, rules.contentTypes)) &&
    (rules.schemaContentTypes === undefined || matchesAny(media, rules.schemaContentTypes))
}

/** A refusal from the route's rules, with Fastify's own error for it. */
export function rejection (reason: 'media-type' | 'body-limit'): Rejection {
  return reject(reason, reason === 'media-type' ? new FST_ERR_CTP_INVALID_MEDIA_TYPE() : new FST_ERR_CTP_BODY_TOO_LARGE())
}

function reject (reason: RejectReason, error: Error): Rejection {
  return { action: 'reject', reason, error }
}
