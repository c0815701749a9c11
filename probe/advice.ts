// What a probe result means for the people who run the server and for the
// clients that upload to it: the playbook, one situation at a time.
import type { ProbeResult } from './probe'
import { NO_APPLICATION_PROTOCOL, type ProbeError } from './errors'

/** How long common clients wait for a 100 before sending the body anyway. */
export const CLIENT_WAITS = 'curl 1 s (--expect100-timeout), Go\'s http.DefaultTransport 1 s (ExpectContinueTimeout), ' +
  'the AWS SDK for JavaScript v3 at least 6 s (@smithy/node-http-handler)'

const PROXIES = 'nginx and Varnish drop the header and answer 100 themselves; HAProxy and Apache (Proxy100Continue On) ' +
  'pass it to the app; Caddy answers 100 itself unless its reverse_proxy transport sets expect_continue_timeout'

/** What each final status says about the request, and what to try next. */
const STATUS_MEANING: Record<number, string> = {
  400: 'the request head is invalid for this route (a required header, a header value): fix the headers',
  401: 'credentials are missing or wrong: add --header \'Authorization: ...\'',
  403: 'the credentials are not allowed to upload here',
  404: 'no such route or resource: check the URL (and the method)',
  405: 'the method is not allowed here: try another --method',
  411: 'the server wants a Content-Length (the probe sends one: a proxy may have removed it)',
  413: 'the declared size is over the limit: probe a smaller --size to find the limit',
  415: 'the Content-Type is not accepted here: try --header \'Content-Type: ...\'',
  429: 'rate limited or over quota: see Retry-After',
  431: 'the request head is too large',
  500: 'the server failed while deciding',
  502: 'a proxy could not get an answer from the app (an app that closes right after an early refusal can cause this)',
  503: 'the server or a proxy is unavailable, or an app closed its connection while the proxy was still sending',
  504: 'a proxy timed out waiting for the app'
}

export function advise (result: ProbeResult): string[] {
  switch (result.outcome) {
    case 'continue': return continueAdvice(result)
    case 'final': return finalAdvice(result)
    case 'expectation-failed': return expectationFailedAdvice(result)
    case 'no-answer': return noAnswerAdvice(result)
    case 'connection-error': return connectionAdvice(result)
  }
}

function continueAdvice (result: ProbeResult): string[] {
  const advice = [
    'The server (or a proxy in front of it) asked for the body: a client that waits for 100 sends it now. ' +
      'The probe did not send it and closed the connection.',
    'A 100 does not say whether the server checked anything first. Node without a checkContinue listener ' +
      '(plain Fastify, Express, Koa), Bun, nginx, Varnish and Caddy (by default) answer 100 before any check, ' +
      'so the client is already sending the body when a refusal (401, 413, 415...) reaches it. fastify-expect sends the 100 only ' +
      'when the route starts reading the body, after its hooks and rules.',
    'To tell which: probe a request this route should refuse (no credentials, a --size over its limit, a wrong ' +
      'Content-Type). A final status then means refusals come before the body; a 100 again means every refused ' +
      'upload is sent in full first.'
  ]
  const answerMs = result.answerMs as number
  if (answerMs > 1000) {
    advice.push(`The 100 came after ${answerMs} ms: curl and Go wait only 1 s, so they had already ` +
      'started sending the body. Find what delays it (a proxy, a slow hook), or raise those clients\' expect timeout.')
  }
  return advice
}

function finalAdvice (result: ProbeResult): string[] {
  const response = result.response as NonNullable<ProbeResult['response']>
  const status = response.status
  const advice: string[] = []
  if (status >= 400) {
    advice.push(`The server refused before the body (good): a client that waits for 100 reads this ${status} ` +
      'and never sends the upload.')
    const meaning = STATUS_MEANING[status] ?? (status >= 500 ? 'a server-side error' : 'a client error')
    advice.push(`${status}: ${meaning}.`)
  } else if (result.size === 0) {
    advice.push(`The server answered ${status}. With --size 0 the request announced no body, so no 100 is expected ` +
      '(RFC 9110 lets a server skip it when there is no content): this is the answer to the request as it is. ' +
      'Probe with a --size above 0 to see how the server treats an upload.')
  } else {
    advice.push(`The server answered ${status} without asking for the body: it does not want the body for this ` +
      'request (a redirect, or a route that never reads it). A client that waits for 100 reads this and stops.')
  }
  if (/\bclose\b/i.test(response.headers.connection ?? '')) {
    advice.push('The server closes the connection after this answer (expected: the client announced a body it ' +
      'did not send, so the connection cannot be reused).')
  }
  advice.push('Clients differ on a final status instead of 100: curl, Go and recent AWS SDKs stop and report it; ' +
    'older AWS SDK v3 handlers (@smithy/node-http-handler before 3.3.2) waited for their timeout first, and the ' +
    'JDK HttpClient with expectContinue(true) hangs (JDK-8286171): keep those clients updated, or without Expect.')
  return advice
}

function expectationFailedAdvice (result: ProbeResult): string[] {
  const sent = Object.entries(result.requestHeaders).find(([name]) => name.toLowerCase() === 'expect')?.[1]
  if (sent !== undefined && !/^\s*100-continue\s*$/i.test(sent)) {
    return [`417 is the right answer to an expectation the server does not know ("${sent}"): only 100-continue ` +
      'is defined (RFC 9110 §10.1.1).']
  }
  return [
    'The server (or a proxy) does not support Expect: 100-continue and refused the request for it.',
    'Drop the header from the client (curl: -H \'Expect:\'; Go: leave the header out; AWS SDK: remove the ' +
      'expect-continue middleware), or fix the server: RFC 9110 says a server that can take the body should answer 100.'
  ]
}

function noAnswerAdvice (result: ProbeResult): string[] {
  const interim = result.informational.length + result.informationalNotShown
  const advice = interim === 0
    ? []
    : [`The server sent ${interim} informational (1xx) response${interim === 1 ? '' : 's'} but neither a 100 nor a ` +
        'final status: clients wait on through them (a flood of them keeps a client busy until its own timeout).']
  if (result.size === 0) {
    advice.push('With --size 0 the request announced no body, so the server had all of it: no answer means the ' +
      'route itself is slow (or the server ignores the request), not the expectation.')
    return advice
  }
  return [...advice,
    `No 100 and no final status came within ${result.timeoutMs} ms. A client that waits for 100 stalls on every upload for its ` +
      `own timeout, then sends the body anyway: ${CLIENT_WAITS}.`,
    'Likely cause: a server or proxy that does not handle expectations and just waits for the body (or a route ' +
      `that answers 100 only when it reads the body, and is not reading yet). Proxies: ${PROXIES}.`,
    'Fixes: drop the header from the client (curl: -H \'Expect:\'), or lower the client\'s expect timeout; or fix ' +
      'the server or proxy so it answers 100 or a final status at once. A longer --timeout shows whether an ' +
      'answer comes at all.'
  ]
}

function connectionAdvice (result: ProbeResult): string[] {
  const { code } = result.error as ProbeError
  if (code === 'closed' || code === 'ECONNRESET' || code === 'EPIPE') {
    return ['The server or a proxy dropped the connection on seeing the head: some reject Expect (or the declared ' +
      'size) this way. Try again without it (--header \'Expect:\') or with a smaller --size to compare.']
  }
  if (code === 'malformed') return ['The other end does not speak HTTP/1.1 on this port (a TLS port reached with http://, HTTP/2 only, or another protocol).']
  if (code === 'bare-line-end') {
    return ['The server ends lines without CRLF: RFC 9112 requires CRLF. Lenient clients (curl) take it as HTTP, ' +
      'strict ones (Node\'s http client) refuse the response, and a proxy may read it differently from the client ' +
      'behind it: fix the server (or whatever writes its responses).']
  }
  if (code === NO_APPLICATION_PROTOCOL) {
    return ['The server offers HTTP/2 only over TLS. This probe speaks HTTP/1.1; to see how the server answers an ' +
      'expectation over HTTP/2, use an HTTP/2 client that waits for 100 (curl --http2 -v with -H \'Expect: 100-continue\' ' +
      'and a body, or nghttp --expect-continue).']
  }
  return ['No HTTP exchange took place: check the URL, the port, and that the server is running.']
}
