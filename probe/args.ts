// Command-line arguments of `fastify-expect probe`: parsed and checked here, so
// that every mistake gets a clear message (and exit code 2) before any socket opens.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

export const DEFAULT_SIZE = 10 * 1024 * 1024
export const DEFAULT_TIMEOUT_MS = 5000
export const MAX_TIMEOUT_MS = 600_000

export const USAGE = `Usage: fastify-expect probe <url> [options]

Sends a request head with "Expect: 100-continue" and "Content-Length: <size>" to
<url> (http or https, any server, through any proxy), never sends the body, and
reports what came back and when: a 100 (the body is welcome), a final status
before the body (a refusal), a 417 (expectation not supported), or nothing.

Options:
  -X, --method <method>     request method (default PUT)
  -s, --size <bytes>        declared body size; suffixes K, M, G (powers of 1024)
                            or KB, MB, GB (powers of 1000) (default 10M)
  -H, --header <'Name: v'>  extra request header, repeatable (Content-Type,
                            Authorization, or Expect to try another expectation)
  -t, --timeout <ms>        how long to wait for an answer (default ${DEFAULT_TIMEOUT_MS})
  -k, --insecure            https: do not verify the server's certificate
      --cacert <file>       https: also trust the CA certificates in this PEM file
      --json                one JSON object on stdout, for scripts
  -h, --help                this text

Exit codes: 0 an answer came (100, a final status, 417); 1 connection error
(DNS, refused, TLS, closed without an answer); 2 usage error; 3 no answer
within the timeout.`

export interface ProbeArgs {
  url: URL
  method: string
  size: number
  /** Extra headers, in the order given. */
  headers: Array<[string, string]>
  timeoutMs: number
  insecure: boolean
  /** PEM text of --cacert. */
  ca?: string
  json: boolean
}

export type ParsedArgs = { help: true } | { help: false, args: ProbeArgs }

/** A mistake in the command line: the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3
}
/** Headers the probe writes itself from its options: passing them would contradict the probe. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding'])

/** `10M`, `1.5MiB`, `2000000`: a whole number of bytes. */
export function parseSize (text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = match === null ? undefined : UNITS[(match[2] as string).toLowerCase()]
  if (match === null || unit === undefined) {
    throw new UsageError(`bad --size "${text}": expected a number of bytes, optionally with K, M, G, KB, MB or GB (e.g. 10M)`)
  }
  const size = Number(match[1]) * unit
  if (!Number.isSafeInteger(size)) throw new UsageError(`bad --size "${text}": not a whole number of bytes up to ${Number.MAX_SAFE_INTEGER}`)
  return size
}

/** `Name: value`, with a valid field name and no line breaks in the value. */
export function parseHeader (text: string): [string, string] {
  const colon = text.indexOf(':')
  const name = colon === -1 ? '' : text.slice(0, colon).trim()
  const value = colon === -1 ? '' : text.slice(colon + 1).trim()
  if (colon === -1 || !TOKEN.test(name)) {
    throw new UsageError(`bad --header "${text}": expected 'Name: value' with a valid field name`)
  }
  if (/[\r\n\0]/.test(value)) throw new UsageError(`bad --header "${name}": the value contains a line break or NUL`)
  if (OWN_HEADERS.has(name.toLowerCase())) {
    throw new UsageError(`bad --header "${name}": the probe declares the body itself (Content-Length from --size)`)
  }
  return [name, value]
}

export function parseUrl (text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`bad URL "${text}": expected an absolute http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`bad URL "${text}": only http:// and https:// are supported (the probe speaks HTTP/1.1)`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`bad URL "${text}": pass credentials with --header 'Authorization: ...' rather than in the URL`)
  }
  return url
}

export function parseTimeout (text: string): number {
  const timeout = /^\d+$/.test(text.trim()) ? Number(text) : NaN
  if (!(timeout >= 1 && timeout <= MAX_TIMEOUT_MS)) {
    throw new UsageError(`bad --timeout "${text}": expected a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`)
  }
  return timeout
}

/** Parses `probe <url> [options]` (the arguments after the program name). */
export function parseProbeArgs (argv: readonly string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        method: { type: 'string', short: 'X' },
        size: { type: 'string', short: 's' },
        header: { type: 'string', short: 'H', multiple: true },
        timeout: { type: 'string', short: 't' },
        insecure: { type: 'boolean', short: 'k' },
        cacert: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { help: true }
  const [command, url, ...extra] = positionals
  if (command === undefined) throw new UsageError('no command given: expected "probe <url>"')
  if (command !== 'probe') throw new UsageError(`unknown command "${command}": the only command is "probe"`)
  if (url === undefined) throw new UsageError('no URL given: expected "probe <url>"')
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0] as string}": one URL per probe`)
  const method = values.method ?? 'PUT'
  if (!TOKEN.test(method)) throw new UsageError(`bad --method "${method}": not a valid HTTP method name`)
  const args: ProbeArgs = {
    url: parseUrl(url),
    method,
    size: values.size === undefined ? DEFAULT_SIZE : parseSize(values.size),
    headers: (values.header ?? []).map(parseHeader),
    timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseTimeout(values.timeout),
    insecure: values.insecure === true,
    json: values.json === true
  }
  if (values.cacert !== undefined) args.ca = readPem(values.cacert)
  return { help: false, args }
}

function readPem (file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`bad --cacert "${file}": ${(error as Error).message}`)
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`bad --cacert "${file}": no PEM certificate in it`)
  return text
}
