// The request head the probe writes: its default fields, the caller's on top, and the check that
// makes the bytes written the bytes shown. Every character of the head must be printable ASCII
// (or a tab in a field value): a string written as latin1 keeps only the low byte of each
// character, so U+010D would go out as CR and U+010A as LF, and put a second request on the wire.

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

/** RFC 9110 token: a method or a field name. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** What the probe writes in a field value: visible ASCII, space and tab (no obs-text, no controls). */
export const FIELD_VALUE = /^[\t\x20-\x7e]*$/
/** A request target from the URL parser: visible ASCII only (it percent-encodes the rest). */
const TARGET = /^[\x21-\x7e]+$/

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'
/** Fields whose values the probe never shows. */
export const SECRET_FIELD = /^(authorization|proxy-authorization|cookie)$/i

export interface RequestHead {
  /** The bytes written. */
  bytes: Buffer
  /** The fields, in the order written. */
  headers: Array<[string, string]>
  /** The head as text, with secret field values masked: what the report shows. */
  shown: string
}

/** The request head: the probe's defaults, then the caller's headers (replacing or removing defaults). */
export function buildHead (request: ProbeRequest): RequestHead {
  let headers: Array<[string, string]> = [
    ['Host', request.url.host],
    ['User-Agent', 'fastify-expect-probe'],
    ['Accept', '*/*'],
    ['Content-Type', DEFAULT_CONTENT_TYPE],
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
  // The command line checks all this with clear messages; this is the last line of defence for
  // any other caller: nothing but the probe's own CRLFs may end a line.
  if (!TOKEN.test(request.method)) throw new TypeError('the method is not an HTTP token')
  if (!TARGET.test(target)) throw new TypeError('the request target is not printable ASCII')
  for (const [name, value] of headers) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new TypeError(`the header "${encodeURIComponent(name)}" is not printable ASCII`)
  }
  const line = `${request.method} ${target} HTTP/1.1`
  const text = (mask: boolean): string =>
    `${line}\r\n${headers.map(([n, v]) => `${n}: ${mask && SECRET_FIELD.test(n) ? '***' : v}\r\n`).join('')}\r\n`
  return { bytes: Buffer.from(text(false), 'latin1'), headers, shown: text(true) }
}
