// Everything the gateway decides from the client's request head, once and before
// anything goes upstream: the target (target.ts), the body's framing (framing.ts),
// the fields to send (headers.ts) and whether the upstream is asked to continue.
// forwardExpectation, expectContinueHandler and a plain node:http gateway
// (examples/gateway.js) all start here, so they refuse the same requests.
import type { OutgoingHttpHeaders } from 'node:http'
import { forwardFraming, type ClientHead, type Framing } from './framing'
import { expectsContinue, upstreamRequestHeaders } from './headers'
import { upstreamTarget } from './target'

export interface ForwardPlan {
  /** The upstream resource (origin of `upstream`, checked path and query). */
  readonly url: URL
  /** End-to-end fields, `host` the upstream's; callUpstream adds the framing and `expect`. */
  readonly headers: OutgoingHttpHeaders
  /** The client's body framing, which the upstream leg states explicitly. */
  readonly framing: Framing
  /** The client asked for 100-continue (and an HTTP/1.0 client cannot: its expectation is ignored). */
  readonly expectContinue: boolean
}

/**
 * Plans the forwarding of a client request to `upstream` at `target` (default
 * the request's own URL). Throws a 400 error (FST_ERR_EXPECT_GATEWAY_FRAMING or
 * FST_ERR_EXPECT_GATEWAY_TARGET) for a request that must not be forwarded.
 */
export function planForward (request: ClientHead & { readonly url?: string }, upstream: string | URL, target?: string): ForwardPlan {
  const framing = forwardFraming(request)
  const url = upstreamTarget(upstream, target ?? request.url ?? '')
  const http10 = request.httpVersionMajor === 1 && request.httpVersionMinor === 0
  return {
    url,
    headers: upstreamRequestHeaders(request.headers, url.host),
    framing,
    expectContinue: !http10 && expectsContinue(request.headers)
  }
}
