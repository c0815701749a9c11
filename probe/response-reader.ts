// Reads what the server sends back, with a bound on everything it keeps: the server is not
// trusted. At most one response head (64 KiB) is buffered at a time, the first few interim (1xx)
// responses are kept and the rest only counted, reason phrases are cut, and the final response's
// body is kept only up to the excerpt. A head whose lines do not end in CRLF is refused, not
// guessed at: a bare LF or CR is where HTTP parsers disagree.
import type { ProbeError } from './errors'
import { decodeChunked } from './chunked'
import { visible } from './escape'

export interface ProbeResponse {
  httpVersion: string
  status: number
  /** The reason phrase as received (latin1), cut to MAX_REASON_CHARS. */
  statusText: string
  /** Lower-cased names, repeated fields joined with ', '; an object without a prototype (any name is data). */
  headers: Record<string, string>
  /** The start of the response body (UTF-8). */
  bodyExcerpt: string
  /** The whole body was received (it fits the excerpt). */
  bodyComplete: boolean
}

export interface Interim {
  status: number
  statusText: string
  /** After the head was sent, ms. */
  ms: number
}

export type Verdict = { kind: 'continue' } | { kind: 'final' } | { kind: 'malformed', error: ProbeError }

export const EXCERPT_BYTES = 1024
export const MAX_HEAD_BYTES = 64 * 1024
/** Interim responses kept (and shown); any more are counted. */
export const MAX_INTERIM_KEPT = 10
export const MAX_REASON_CHARS = 256

const CR = 0x0d
const LF = 0x0a
const HTTP = Buffer.from('HTTP/')

type Framing = 'none' | 'length' | 'chunked' | 'close'

/** Parses a response head (status line and fields, CRLF-separated); undefined when it is not HTTP/1.x. */
export function parseResponseHead (text: string): Omit<ProbeResponse, 'bodyExcerpt' | 'bodyComplete'> | undefined {
  const [statusLine = '', ...lines] = text.split('\r\n')
  const match = /^HTTP\/(1\.[01]) ([1-9]\d\d)(?: (.*))?$/.exec(statusLine)
  if (match === null) return undefined
  const headers: Record<string, string> = Object.create(null)
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    const seen = headers[name]
    headers[name] = seen === undefined ? value : `${seen}, ${value}`
  }
  return { httpVersion: match[1] as string, status: Number(match[2]), statusText: (match[3] ?? '').slice(0, MAX_REASON_CHARS), headers }
}

/** Where a line ends in a bare LF, or a CR is not followed by LF, in buf[from, to); -1 if nowhere. */
function bareLineEnd (buf: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buf[i] === LF && (i === 0 || buf[i - 1] !== CR)) return i
    if (buf[i] === CR && i + 1 < buf.length && buf[i + 1] !== LF) return i
  }
  return -1
}

function notHttp (received: Buffer): ProbeError {
  const start = visible(received.subarray(0, 32).toString('latin1'))
  const hint = received[0] === 0x15 || received[0] === 0x16
    ? ' (it looks like TLS: try https://)'
    // An HTTP/2 frame header: 24-bit length, then type 4 (SETTINGS), what an h2 server sends first.
    : received.length >= 9 && received[3] === 0x04 ? ' (it looks like HTTP/2 frames: a server that speaks only HTTP/2)' : ''
  return { code: 'malformed', message: `the server did not answer in HTTP/1.x${hint}; first bytes: "${start}"` }
}

export class ResponseReader {
  /** The first MAX_INTERIM_KEPT interim responses other than 100. */
  readonly interim: Interim[] = []
  /** Interim responses received beyond those kept. */
  interimNotKept = 0
  /** The final response, once its head is in (its body is then read for the excerpt). */
  response: ProbeResponse | undefined
  /** When the 100 or the final status line came, ms after the head was sent. */
  answerMs: number | undefined
  private pending: Buffer = Buffer.alloc(0)
  /** Bytes of `pending` already checked for bare line ends. */
  private scanned = 0
  private framing: Framing = 'none'
  private length = 0
  private body: Buffer = Buffer.alloc(0)

  /** `since()`: ms since the head was sent. */
  constructor (private readonly method: string, private readonly since: () => number) {}

  /** Takes the next bytes from the connection; returns a verdict once the exchange is decided. */
  feed (chunk: Buffer): Verdict | undefined {
    if (this.response !== undefined) return this.readBody(chunk)
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    for (;;) {
      const pending = this.pending
      const prefix = Math.min(pending.length, HTTP.length)
      if (!pending.subarray(0, prefix).equals(HTTP.subarray(0, prefix))) return { kind: 'malformed', error: notHttp(pending) }
      const end = pending.indexOf('\r\n\r\n')
      const headEnd = end === -1 ? Math.min(pending.length, MAX_HEAD_BYTES + 1) : end + 4
      const bare = bareLineEnd(pending, this.scanned, headEnd)
      if (bare !== -1) return { kind: 'malformed', error: bareLineEndError(pending, bare) }
      this.scanned = Math.max(0, headEnd - 1)
      if (headEnd > MAX_HEAD_BYTES) return { kind: 'malformed', error: { code: 'malformed', message: `the response head is over ${MAX_HEAD_BYTES} bytes` } }
      if (end === -1) return undefined
      const parsed = parseResponseHead(pending.subarray(0, end).toString('latin1'))
      if (parsed === undefined) return { kind: 'malformed', error: notHttp(pending) }
      this.pending = pending.subarray(end + 4)
      this.scanned = 0
      const at = this.since()
      if (parsed.status === 100) {
        this.answerMs = at
        return { kind: 'continue' }
      }
      if (parsed.status < 200) {
        if (this.interim.length < MAX_INTERIM_KEPT) this.interim.push({ status: parsed.status, statusText: parsed.statusText, ms: at })
        else this.interimNotKept++
        continue
      }
      this.answerMs = at
      this.response = { ...parsed, bodyExcerpt: '', bodyComplete: false }
      this.frame(this.response)
      const rest = this.pending
      this.pending = Buffer.alloc(0)
      return this.readBody(rest)
    }
  }

  /** The connection ended: a body delimited by the close is complete here. */
  end (): void {
    // A reset right after the data often reaches the client as a clean end: no attempt to tell them apart.
    if (this.response !== undefined && this.framing === 'close') this.response.bodyComplete = this.body.length <= EXCERPT_BYTES
  }

  private frame (response: ProbeResponse): void {
    const te = response.headers['transfer-encoding']
    const cl = response.headers['content-length']
    if (this.method === 'HEAD' || response.status === 204 || response.status === 304) this.framing = 'none'
    else if (te !== undefined && /chunked\s*$/i.test(te)) this.framing = 'chunked'
    else if (cl !== undefined && /^\d+$/.test(cl)) {
      this.framing = 'length'
      this.length = Number(cl)
    } else this.framing = 'close'
  }

  /** Adds body bytes (kept up to MAX_HEAD_BYTES, chunk framing included) and updates the excerpt. */
  private readBody (chunk: Buffer): Verdict | undefined {
    const response = this.response as ProbeResponse
    if (this.body.length < MAX_HEAD_BYTES && chunk.length > 0) {
      this.body = Buffer.concat([this.body, chunk.subarray(0, MAX_HEAD_BYTES - this.body.length)])
    }
    let body: Buffer
    let complete: boolean
    if (this.framing === 'none') {
      body = Buffer.alloc(0)
      complete = true
    } else if (this.framing === 'chunked') {
      ({ body, complete } = decodeChunked(this.body))
    } else {
      body = this.framing === 'length' ? this.body.subarray(0, this.length) : this.body
      complete = this.framing === 'length' && body.length >= this.length
    }
    response.bodyExcerpt = body.subarray(0, EXCERPT_BYTES).toString('utf8')
    response.bodyComplete = complete && body.length <= EXCERPT_BYTES
    return complete || body.length >= EXCERPT_BYTES ? { kind: 'final' } : undefined
  }
}

function bareLineEndError (received: Buffer, at: number): ProbeError {
  const what = received[at] === LF ? 'a bare LF (a line ending without CR)' : 'a bare CR (not followed by LF)'
  const line = visible(received.subarray(0, Math.min(at + 1, 64)).toString('latin1'))
  return { code: 'bare-line-end', message: `not HTTP/1.1: the response head has ${what} at byte ${at}: "${line}"` }
}
