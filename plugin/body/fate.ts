// A request's body, read against its route's model once: who answers from the
// head alone (the route's rules, or Fastify), and which limit the plugin holds
// the streamed body to. Pure: the head and the model in, a verdict out.
import type { IncomingHttpHeaders } from 'node:http'
import { rejection, type Rejection } from '../decision/decide'
import type { BodyModel, ParserFate } from './model'

export type BodyFate =
  /** The route's rules refuse it from the head: the plugin answers. */
  | Rejection
  /** Fastify answers 415 from the head itself (no parser takes the type): no 100, nothing to add. */
  | { readonly action: 'fastify-415' }
  /** The body may be read; `limit`: the size the plugin holds a body of unknown length to as it streams. */
  | { readonly action: 'read', readonly parser: ParserFate, readonly limit: number | undefined }

/** Fastify reads no body for a request without Content-Type, Content-Length and Transfer-Encoding (HTTP/2 DATA frames alone). */
const unparsed = (headers: IncomingHttpHeaders): boolean =>
  headers['content-type'] === undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined

export const FASTIFY_415 = Object.freeze({ action: 'fastify-415' as const })

/**
 * For a head that frames a body of `length` (undefined: unknown; see bodyLength).
 * Fastify's order: 415 before 413. The fates of a body that may be read are the
 * model's own, built once per media type: nothing is allocated per request.
 */
export function fateOf (headers: IncomingHttpHeaders, length: number | undefined, model: BodyModel): BodyFate {
  const meeting = model.meet(headers['content-type'])
  if (!meeting.accepts) return rejection('media-type')
  // A handler may still read request.raw: the route's limit holds it.
  if (unparsed(headers)) return model.unparsed
  const parser = meeting.parser
  if (parser.kind === 'none') return FASTIFY_415
  // Over the limit that applies (the route's, a buffered parser's, a streaming parser's own): 413 from the head.
  if (length === undefined) return meeting.streamed
  if (parser.limit !== undefined && length > parser.limit) return rejection('body-limit')
  // Fastify holds a buffered body to its limit itself; a declared length is held by Node's parser.
  return meeting.read
}
