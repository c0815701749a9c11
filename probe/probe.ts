// The probe itself: one HTTP/1.1 request head with `Expect: 100-continue` over a
// raw TCP or TLS socket (no HTTP client in between, so what the server sends is
// seen exactly, with its timing), never followed by the body. The server is not
// trusted: one deadline bounds the whole run, and the reader bounds what is kept.
import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import { performance } from 'node:perf_hooks'
import { describeSocketError, portOf, type ProbeError } from './errors'
import { buildHead, SECRET_FIELD, type ProbeRequest } from './request-head'
import { ResponseReader, type Interim, type ProbeResponse } from './response-reader'

export type { ProbeRequest } from './request-head'
export type { ProbeResponse, Interim } from './response-reader'
export { buildHead } from './request-head'
export { parseResponseHead, EXCERPT_BYTES, MAX_INTERIM_KEPT } from './response-reader'

export type ProbeOutcome = 'continue' | 'final' | 'expectation-failed' | 'no-answer' | 'connection-error'

export interface ProbeResult {
  url: string
  method: string
  size: number
  timeoutMs: number
  /** The request fields as sent (secrets masked; repeated names joined with ', '). */
  requestHeaders: Record<string, string>
  /** The request head exactly as written, secrets masked. */
  requestHead: string
  outcome: ProbeOutcome
  /** The run ended at the deadline (-t), which bounds connect, TLS, head and answer together. */
  deadlineReached: boolean
  /** TCP connect (and TLS handshake) time, ms. */
  connectMs?: number
  /** From the last head byte written to the 100 or the final status line, ms. */
  answerMs?: number
  /** The first interim responses other than 100 (102, 103...) received before the answer. */
  informational: Interim[]
  /** Interim responses received beyond those listed. */
  informationalNotShown: number
  /** The final response, for 'final' and 'expectation-failed'. */
  response?: ProbeResponse
  /** For 'connection-error'. */
  error?: ProbeError
  headBytes: number
  /** Bytes written after the head: always 0 (the probe never sends the body). */
  bodyBytesSent: number
}

/** At most this long for the server to close after the probe's FIN (never past the deadline). */
const CLOSE_GRACE_MS = 1000
const round = (ms: number): number => Math.round(ms * 10) / 10

function connect (request: ProbeRequest): { socket: Socket, ready: string } {
  const host = request.url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (request.url.protocol === 'https:') {
    const options: tls.ConnectionOptions = { host, port: portOf(request.url), ALPNProtocols: ['http/1.1'], rejectUnauthorized: request.insecure !== true }
    if (net.isIP(host) === 0) options.servername = host
    if (request.ca !== undefined) options.ca = [...tls.rootCertificates, request.ca]
    return { socket: tls.connect(options), ready: 'secureConnect' }
  }
  return { socket: net.connect({ host, port: portOf(request.url) }), ready: 'connect' }
}

/** Ends the connection without the body: FIN (close_notify over TLS), then destroys it if the server lingers. */
function closePolitely (socket: Socket, graceMs: number): void {
  if (graceMs <= 0) {
    socket.destroy()
    return
  }
  socket.end()
  const timer = setTimeout(() => socket.destroy(), graceMs)
  socket.once('close', () => clearTimeout(timer))
}

/** Sends the head, waits for the answer, and reports it. Never rejects: connection problems are an outcome. */
export function probe (request: ProbeRequest): Promise<ProbeResult> {
  const head = buildHead(request)
  const requestHeaders: Record<string, string> = Object.create(null)
  for (const [name, value] of head.headers) {
    const shown = SECRET_FIELD.test(name) ? '***' : value
    requestHeaders[name] = requestHeaders[name] === undefined ? shown : `${requestHeaders[name] as string}, ${shown}`
  }
  const result: ProbeResult = {
    url: request.url.href,
    method: request.method,
    size: request.size,
    timeoutMs: request.timeoutMs,
    requestHeaders,
    requestHead: head.shown,
    outcome: 'no-answer',
    deadlineReached: false,
    informational: [],
    informationalNotShown: 0,
    headBytes: head.bytes.length,
    bodyBytesSent: 0
  }
  return new Promise((resolve) => {
    const started = performance.now()
    const deadline = started + request.timeoutMs
    let tcpAt: number | undefined
    let headSentAt: number | undefined
    const reader = new ResponseReader(request.method, () => round(performance.now() - (headSentAt as number)))
    let finished = false
    const { socket, ready } = connect(request)

    const finish = (outcome: ProbeOutcome, error?: ProbeError): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      result.outcome = outcome
      if (error !== undefined) result.error = error
      if (reader.response !== undefined) result.response = reader.response
      if (reader.answerMs !== undefined) result.answerMs = reader.answerMs
      result.informational = reader.interim
      result.informationalNotShown = reader.interimNotKept
      if (headSentAt !== undefined) result.bodyBytesSent = Math.max(0, socket.bytesWritten - result.headBytes)
      socket.off('data', onData)
      if (!socket.destroyed) closePolitely(socket, Math.min(CLOSE_GRACE_MS, deadline - performance.now()))
      resolve(result)
    }
    const finishFinal = (): void => finish(reader.response?.status === 417 ? 'expectation-failed' : 'final')
    // One deadline for the whole run, whatever phase it is in (DNS, TCP, TLS, head, answer, body excerpt).
    const timer = setTimeout(() => {
      result.deadlineReached = true
      if (reader.response !== undefined) finishFinal()
      else if (headSentAt === undefined) finish('connection-error', setupTimeout(request, tcpAt === undefined ? undefined : round(tcpAt - started)))
      else finish('no-answer')
    }, request.timeoutMs)

    const onData = (chunk: Buffer): void => {
      const verdict = reader.feed(chunk)
      if (verdict === undefined) return
      if (verdict.kind === 'continue') finish('continue')
      else if (verdict.kind === 'final') finishFinal()
      else finish('connection-error', verdict.error)
    }

    socket.once('connect', () => { tcpAt = performance.now() })
    socket.once(ready, () => {
      result.connectMs = round(performance.now() - started)
      socket.write(head.bytes)
      headSentAt = performance.now()
    })
    socket.on('data', onData)
    /** The connection ended (or failed): with a final status in, report it; without, a connection error. */
    const gone = (error?: Error): void => {
      if (reader.response === undefined) {
        finish('connection-error', error === undefined
          ? { code: 'closed', message: `the server closed the connection without an answer after ${round(performance.now() - (headSentAt ?? started))} ms` }
          : describeSocketError(error, request.url, headSentAt === undefined ? undefined : round(performance.now() - headSentAt)))
        return
      }
      reader.end()
      finishFinal()
    }
    socket.on('error', gone)
    socket.on('close', () => gone())
  })
}

/** The deadline came before the head could be sent: say which step did not finish. */
function setupTimeout (request: ProbeRequest, tcpMs: number | undefined): ProbeError {
  const message = tcpMs !== undefined && request.url.protocol === 'https:'
    ? `no TLS handshake with ${request.url.host} within ${request.timeoutMs} ms (TCP connected after ${tcpMs} ms)`
    : `could not set up a connection to ${request.url.host} within ${request.timeoutMs} ms`
  return { code: 'connect-timeout', message }
}
