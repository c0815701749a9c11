// The upstream leg of a gateway, over Node's own http client (undici refuses an
// Expect field over HTTP/1.1). With `Expect: 100-continue` from the client, the
// request head goes upstream with the same expectation and the client's body is
// not touched until the upstream asks for it:
// - upstream 100: `onContinue` runs (a plain server writes its 100 there; under
//   fastify-expect the first read below writes it), then the body is piped up;
// - upstream final status first: that response is handed back; the body is never
//   read, so the client, still waiting for its 100, sends none;
// - neither within `continueTimeout`: the body goes up anyway, as curl does.
// The body always goes up with its framing stated (framing.ts), whatever the
// method, and Node is told to hold it to that length (strictContentLength).
// An interim response other than 100 (101, 102, 103...) is a 502 at once: a
// gateway that relays no upgrade has nothing to do with it, and after a 101 the
// connection is no longer HTTP. Every path ends with no timer, no listener left
// on the client's objects, and an upstream socket either back in its agent's
// pool (one whole request and one whole response) or destroyed.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { FST_ERR_EXPECT_GATEWAY_TIMEOUT, FST_ERR_EXPECT_GATEWAY_UPSTREAM, upstreamFailure } from './errors'
import { framedHeaders, type Framing } from './framing'

export interface UpstreamTimeouts {
  /**
   * Milliseconds to wait for the upstream's 100 or final status before sending
   * the body anyway (an upstream that ignores expectations still gets it). Default 1000, as curl.
   */
  continueTimeout?: number
  /** Milliseconds of silence on the upstream connection: 504 before a response head, abort after. Default 30000. */
  timeout?: number
  /** Agent for the upstream connections; default Node's global agent. */
  agent?: http.Agent
}

export interface UpstreamCall extends UpstreamTimeouts {
  /** The upstream resource: origin, path and query. */
  url: URL
  method: string
  /** Fields to send (see upstreamRequestHeaders); `expect` and the framing fields are set here. */
  headers: OutgoingHttpHeaders
  /** The client's body, not yet read. */
  body: Readable
  /** The client sent `Expect: 100-continue`. */
  expectContinue: boolean
  /** The client's body framing (see planForward): stated on the upstream leg, whatever the method. */
  framing: Framing
  /** Runs once, right before the first read of `body` (write the client's 100 here, if nothing else does). */
  onContinue?: () => void
  /** The client's response: its 'close' before it finished means the client went away. */
  clientResponse: NodeJS.EventEmitter & { readonly writableFinished: boolean }
}

export interface UpstreamAnswer {
  /** The upstream's final response; the caller relays it (reading it to its end, or destroying it). */
  response: IncomingMessage
  /** The upstream answered before any body byte was read from the client. */
  beforeBody: boolean
  /** The client's whole body went upstream (or there was none): else its connection cannot carry another request. */
  bodySent (): boolean
}

export const DEFAULT_CONTINUE_TIMEOUT = 1000
export const DEFAULT_UPSTREAM_TIMEOUT = 30_000

export function callUpstream (call: UpstreamCall): Promise<UpstreamAnswer> {
  const timeout = call.timeout ?? DEFAULT_UPSTREAM_TIMEOUT
  const hasBody = call.framing.hasBody
  const headers = framedHeaders(call.headers, call.framing)
  const waitForContinue = call.expectContinue && hasBody
  if (waitForContinue) headers.expect = '100-continue'

  return new Promise((resolve, reject) => {
    const upstream = http.request(call.url, { method: call.method, headers, agent: call.agent })
    // More or fewer body bytes than the stated length is an error, never a second request.
    // (Node >= 18.10; not in @types/node's ClientRequest.)
    ;(upstream as { strictContentLength?: boolean }).strictContentLength = true
    let answered = false
    let bodyStarted = false
    let bodyEnded = !hasBody
    let continueTimer: NodeJS.Timeout | undefined

    const onClientClose = (): void => {
      // The client went away (or its response is done): nothing more to send or relay.
      if (!call.clientResponse.writableFinished) upstream.destroy()
      release()
    }
    /* c8 ignore next -- a client abort closes its response first; this covers other body stream failures */
    const onBodyError = (): void => { upstream.destroy() }
    const onBodyEnd = (): void => { bodyEnded = true }
    function release (): void {
      clearTimeout(continueTimer)
      call.clientResponse.off('close', onClientClose)
      call.body.off('error', onBodyError)
      call.body.off('end', onBodyEnd)
    }

    function sendBody (): void {
      if (bodyStarted) return
      bodyStarted = true
      clearTimeout(continueTimer)
      call.onContinue?.()
      call.body.on('error', onBodyError)
      call.body.once('end', onBodyEnd)
      call.body.pipe(upstream)
    }

    function fail (error: Error): void {
      upstream.destroy()
      if (answered) return
      answered = true
      release()
      reject(error)
    }

    upstream.on('continue', sendBody)
    // 102, 103...: not relayed, and the exchange is not one a connection survives.
    // (Node emits 'information' for the 100 as well, after 'continue'.)
    upstream.on('information', (info: { statusCode: number }) => {
      if (info.statusCode !== 100) fail(new FST_ERR_EXPECT_GATEWAY_UPSTREAM(`interim response ${info.statusCode}`))
    })
    // A 101 with Upgrade fields (Node hands the socket over, or destroys it without a listener).
    upstream.on('upgrade', (response: IncomingMessage, socket: NodeJS.EventEmitter & { destroy: () => void }) => {
      socket.destroy()
      fail(new FST_ERR_EXPECT_GATEWAY_UPSTREAM(`interim response ${String(response.statusCode)}`))
    })
    upstream.on('response', (response) => {
      // A 101 without Upgrade fields (Node hands it over as a response).
      if ((response.statusCode ?? 0) < 200) {
        response.destroy()
        fail(new FST_ERR_EXPECT_GATEWAY_UPSTREAM(`interim response ${String(response.statusCode)}`))
        return
      }
      /* c8 ignore next 4 -- a response racing the timeout that already answered 504 */
      if (answered) {
        response.destroy()
        return
      }
      answered = true
      clearTimeout(continueTimer)
      const beforeBody = !bodyStarted
      // An answer while the body is still going up ends the upload: the connection
      // cannot be reused with a body half sent, so it goes once the response is read.
      if (bodyStarted && !bodyEnded) call.body.unpipe(upstream)
      response.once('close', () => {
        if (!upstream.writableFinished) upstream.destroy()
        release()
      })
      resolve({ response, beforeBody, bodySent: () => bodyEnded && upstream.writableFinished })
    })
    upstream.on('error', (error) => { fail(upstreamFailure(error)) })
    upstream.setTimeout(timeout, () => { fail(new FST_ERR_EXPECT_GATEWAY_TIMEOUT(timeout)) })
    call.clientResponse.once('close', onClientClose)

    if (!hasBody) {
      upstream.end()
    } else if (!waitForContinue) {
      sendBody()
    } else {
      // With an Expect field Node's client writes the head at once; the body waits.
      continueTimer = setTimeout(sendBody, call.continueTimeout ?? DEFAULT_CONTINUE_TIMEOUT)
    }
  })
}
