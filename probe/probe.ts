// The probe itself: one HTTP/1.1 request head with `Expect: 100-continue` over a
// raw TCP or TLS socket (no HTTP client in between, so what the server sends is
// seen exactly, with its timing), never followed by the body.
import net, { type Socket } from 'node:net'
import tls from 'node:tls'
import { performance } from 'node:perf_hooks'
import { describeSocketError, portOf, type ProbeError } from './errors'
import { decodeChunked } from './chunked'

export type ProbeOutcome = 'continue' | 'final' | 'expectation-failed' | 'no-answer' | 'connection-error'

export interface ProbeRequest {
  url: URL
  method: string
  /** The declared body size (Content-Length). */
  size: number
  /** Extra headers; an empty value removes one of the probe's defaults (as curl's `-H 'Name:'`). */
  headers: ReadonlyArray<readonly [string, string]>
  timeoutMs: number
  /** https: skip certificate verification. */
  insecure?: boolean
  /** https: trusted certificates (PEM) besides the system's. */
  ca?: string
}

export interface ProbeResponse {
  httpVersion: string
  status: number
  statusText: string
  /** Lower-cased names; repeated fields joined with ', '. */
  headers: Record<string, string>
  /** The start of the response body (UTF-8). */
  bodyExcerpt: string
  /** The whole body was received (it fits the excerpt). */
  bodyComplete: boolean
}

export interface ProbeResult {
  url: string
  method: string
  size: number
  timeoutMs: number
  /** The request head as sent (credentials masked). */
  requestHeaders: Record<string, string>
  outcome: ProbeOutcome
  /** TCP connect (and TLS handshake) time, ms. */
  connectMs?: number
  /** From the last head byte written to the 100 or the final status line, ms. */
  answerMs?: number
  /** Informational responses other than 100 (102, 103...) received before the answer. */
  informational: Array<{ status: number, statusText: string, ms: number }>
  /** The final response, for 'final' and 'expectation-failed'. */
  response?: ProbeResponse
  /** For 'connection-error'. */
  error?: ProbeError
  headBytes: number
  /** Bytes written after the head: always 0 (the probe never sends the body). */
  bodyBytesSent: number
}

export const EXCERPT_BYTES = 1024
const MAX_HEAD_BYTES = 64 * 1024
const CLOSE_GRACE_MS = 1000
const ms = (from: number): number => Math.round((performance.now() - from) * 10) / 10

/** The request head: the probe's defaults, then the caller's headers (replacing or removing defaults). */
export function buildHead (request: ProbeRequest): { head: string, headers: Array<[string, string]> } {
  let headers: Array<[string, string]> = [
    ['Host', request.url.host],
    ['User-Agent', 'fastify-expect-probe'],
    ['Accept', '*/*'],
    ['Content-Type', 'application/octet-stream'],
    ['Content-Length', String(request.size)],
    ['Expect', '100-continue']
  ]
  const defaults = new Set(['host', 'user-agent', 'accept', 'content-type', 'expect'])
  for (const [name, value] of request.headers) {
    const key = name.toLowerCase()
    if (key === 'content-length' || key === 'transfer-encoding') continue
    if (defaults.has(key)) {
      defaults.delete(key)
      headers = headers.filter(([n]) => n.toLowerCase() !== key)
    }
    if (value !== '') headers.push([name, value])
  }
  const target = `${request.url.pathname}${request.url.search}`
  const head = `${request.method} ${target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`
  return { head, headers }
}

/** Parses a response head (status line and fields); undefined when it is not HTTP/1.x. */
export function parseResponseHead (text: string): Omit<ProbeResponse, 'bodyExcerpt' | 'bodyComplete'> | undefined {
  const [statusLine = '', ...lines] = text.split('\r\n')
  const match = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(statusLine)
  if (match === null) return undefined
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = name in headers ? `${headers[name] as string}, ${value}` : value
  }
  return { httpVersion: match[1] as string, status: Number(match[2]), statusText: match[3] ?? '', headers }
}

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
function closePolitely (socket: Socket): void {
  socket.end()
  const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS)
  socket.once('close', () => clearTimeout(timer))
}

/** Sends the head, waits for the answer, and reports it. Never rejects: connection problems are an outcome. */
export function probe (request: ProbeRequest): Promise<ProbeResult> {
  const { head, headers } = buildHead(request)
  const result: ProbeResult = {
    url: request.url.href,
    method: request.method,
    size: request.size,
    timeoutMs: request.timeoutMs,
    requestHeaders: Object.fromEntries(headers.map(([n, v]) => [n, /^(authorization|proxy-authorization|cookie)$/i.test(n) ? '***' : v])),
    outcome: 'no-answer',
    informational: [],
    headBytes: Buffer.byteLength(head, 'latin1'),
    bodyBytesSent: 0
  }
  return new Promise((resolve) => {
    const started = performance.now()
    let headSentAt: number | undefined
    let received = Buffer.alloc(0)
    /** The final response, once its head is in: its body is being read for the excerpt. */
    let final: { response: ProbeResponse, framing: 'none' | 'length' | 'chunked' | 'close', length: number, raw: Buffer } | undefined
    let finished = false
    const { socket, ready } = connect(request)

    const finish = (outcome: ProbeOutcome, error?: ProbeError): void => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      result.outcome = outcome
      if (error !== undefined) result.error = error
      if (final !== undefined) result.response = final.response
      if (headSentAt !== undefined) result.bodyBytesSent = Math.max(0, socket.bytesWritten - result.headBytes)
      if (!socket.destroyed) closePolitely(socket)
      resolve(result)
    }
    const finishFinal = (): void => finish(final?.response.status === 417 ? 'expectation-failed' : 'final')
    const onTimeout = (): void => {
      if (final !== undefined) finishFinal()
      else if (headSentAt === undefined) finish('connection-error', { code: 'connect-timeout', message: `could not set up a connection to ${request.url.host} within ${request.timeoutMs} ms` })
      else finish('no-answer')
    }
    let timer = setTimeout(onTimeout, request.timeoutMs)

    /** Adds body bytes to the excerpt; finishes when the body is complete or the excerpt full. */
    const readBody = (): void => {
      if (final === undefined) return
      final.raw = Buffer.concat([final.raw, received]).subarray(0, MAX_HEAD_BYTES)
      received = Buffer.alloc(0)
      let body: Buffer
      let complete: boolean
      if (final.framing === 'none') {
        body = Buffer.alloc(0)
        complete = true
      } else if (final.framing === 'chunked') {
        ({ body, complete } = decodeChunked(final.raw))
      } else {
        body = final.framing === 'length' ? final.raw.subarray(0, final.length) : final.raw
        complete = final.framing === 'length' && body.length >= final.length
      }
      final.response.bodyExcerpt = body.subarray(0, EXCERPT_BYTES).toString('utf8')
      final.response.bodyComplete = complete && body.length <= EXCERPT_BYTES
      if (complete || body.length >= EXCERPT_BYTES) finishFinal()
    }

    /** Reads response heads: informational ones, then the 100 or the final status. */
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk])
      // eslint-disable-next-line no-unmodified-loop-condition -- finish() sets them
      while (final === undefined && !finished) {
        if (received.length >= 5 && received.subarray(0, 5).toString('latin1') !== 'HTTP/') {
          finish('connection-error', notHttp(received))
          return
        }
        const end = received.indexOf('\r\n\r\n')
        if (end === -1) {
          if (received.length > MAX_HEAD_BYTES) finish('connection-error', { code: 'malformed', message: `the response head is over ${MAX_HEAD_BYTES} bytes` })
          return
        }
        const parsed = parseResponseHead(received.subarray(0, end).toString('latin1'))
        received = received.subarray(end + 4)
        if (parsed === undefined) {
          finish('connection-error', notHttp(received))
          return
        }
        // Data comes only after the head: it is written as soon as the connection is up.
        const at = ms(headSentAt as number)
        if (parsed.status === 100) {
          result.answerMs = at
          finish('continue')
          return
        }
        if (parsed.status < 200) {
          result.informational.push({ status: parsed.status, statusText: parsed.statusText, ms: at })
          continue
        }
        result.answerMs = at
        const response: ProbeResponse = { ...parsed, bodyExcerpt: '', bodyComplete: false }
        const te = parsed.headers['transfer-encoding']
        const cl = parsed.headers['content-length']
        final = request.method === 'HEAD' || parsed.status === 204 || parsed.status === 304
          ? { response, framing: 'none', length: 0, raw: Buffer.alloc(0) }
          : te !== undefined && /chunked\s*$/i.test(te)
            ? { response, framing: 'chunked', length: 0, raw: Buffer.alloc(0) }
            : cl !== undefined && /^\d+$/.test(cl)
              ? { response, framing: 'length', length: Number(cl), raw: Buffer.alloc(0) }
              : { response, framing: 'close', length: 0, raw: Buffer.alloc(0) }
      }
      readBody()
    }

    socket.once(ready, () => {
      result.connectMs = ms(started)
      socket.write(head, 'latin1')
      headSentAt = performance.now()
      clearTimeout(timer)
      timer = setTimeout(onTimeout, request.timeoutMs)
    })
    socket.on('data', onData)
    /** The connection ended (or failed): with a final status in, report it; without, a connection error. */
    const gone = (error?: Error): void => {
      if (final === undefined) {
        finish('connection-error', error === undefined
          ? { code: 'closed', message: `the server closed the connection without an answer after ${ms(headSentAt ?? started)} ms` }
          : describeSocketError(error, request.url, headSentAt === undefined ? undefined : ms(headSentAt)))
        return
      }
      // A body framed by the end of the connection ends here (a reset right after the data often
      // reaches the client as a clean end: no attempt to tell them apart).
      if (final.framing === 'close') final.response.bodyComplete = final.raw.length <= EXCERPT_BYTES
      finishFinal()
    }
    socket.on('error', gone)
    socket.on('close', () => gone())
  })
}

function notHttp (received: Buffer): ProbeError {
  const start = received.subarray(0, 32).toString('latin1').replace(/[^\x20-\x7e]/g, '.')
  const hint = received[0] === 0x15 || received[0] === 0x16 ? ' (it looks like TLS: try https://)' : ''
  return { code: 'malformed', message: `the server did not answer in HTTP/1.x${hint}; first bytes: "${start}"` }
}
