// A request's body, read against its route's model once: who answers from the
// head alone (the route's rules, or Fastify), and which limit the plugin holds
// the streamed body to. Pure: the head and the model in, a verdict out.
import type { RequestHead } from '../decision/framing'
import { rejection, type Rejection } from '../decision/decide'
import { type Framing } from '../decision/framing'
import type { BodyModel, ParserFate } from './model'

export type BodyFate =
  /** The route's rules refuse it from the head: the plugin answers. */
  | Rejection
  /** Fastify answers 415 from the head itself (no parser takes the type): no 100, nothing to add. */
  | { readonly action: 'fastify-415' }
  /** The body may be read; `limit`: the size the plugin holds a body of unknown length to as it streams. */
  | { readonly action: 'read', readonly parser: ParserFate, readonly limit: number | undefined }

/** Fastify reads no body for a request without Content-Type, Content-Length and Transfer-Encoding (HTTP/2 DATA frames alone). */
const unparsed = (headers: RequestHead['headers']): boolean =>
  headers['content-type'] === undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined

const FASTIFY_415 = Object.freeze({ action: 'fastify-415' as const })

/** For a head that frames a body (see bodyFraming). Fastify's order: 415 before 413. */
export function fateOf (head: RequestHead, framing: Framing, model: BodyModel): BodyFate {
  const policy = model.policy
  // Read once: on Node's request, `headers` is a getter.
  const headers = head.headers
  const contentType = headers['content-type']
  if (!model.accepts(contentType)) return rejection('media-type')
  if (unparsed(headers)) {
    // A handler may still read request.raw: the route's limit holds it.
    return { action: 'read', parser: { kind: 'none', limit: policy?.bodyLimit }, limit: policy?.bodyLimit }
  }
  const parser = model.parser(contentType)
  if (parser.kind === 'none') return FASTIFY_415
  const length = framing.length
  // Over the limit that applies (the route's, a buffered parser's, a streaming parser's own): 413 from the head.
  if (parser.limit !== undefined && length !== undefined && length > parser.limit) return rejection('body-limit')
  // Fastify holds a buffered body to its limit itself.
  return { action: 'read', parser, limit: length === undefined && parser.kind !== 'buffered' ? parser.limit : undefined }
}
