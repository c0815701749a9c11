// Command-line arguments of `fastify-expect probe`: parsed and checked here, so
// that every mistake gets a clear message (and exit code 2) before any socket opens.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DEFAULT_CONTENT_TYPE, FIELD_VALUE, TOKEN } from './request-head'
import { maskCredentials, visible } from './escape'

export const DEFAULT_SIZE = 10 * 1024 * 1024
export const DEFAULT_TIMEOUT_MS = 5000
export const MAX_TIMEOUT_MS = 600_000
/** Kept in step with the reader's MAX_INTERIM_KEPT (a test checks). */
export const MAX_INTERIM_SHOWN = 10

export const USAGE = `Usage: fastify-expect probe <url> [options]

Sends a request head with "Expect: 100-continue" and "Content-Length: <size>" to
<url> (http or https, any server, through any proxy), never sends the body, and
reports what came back and when: a 100 (the body is welcome), a final status
before the body (a refusal), a 417 (expectation not supported), or nothing.

The head sent: Host, User-Agent: fastify-expect-probe, Accept: */*,
Content-Type: ${DEFAULT_CONTENT_TYPE}, Content-Length: <size>,
Expect: 100-continue, then the --header fields (a field of the same name
replaces the default; 'Name:' with no value removes it).

Options:
  -X, --method <method>     request method (default PUT)
  -s, --size <bytes>        declared body size; suffixes K, M, G (powers of 1024)
                            or KB, MB, GB (powers of 1000) (default 10M); 0
                            announces no body, so no 100 is expected
  -H, --header <'Name: v'>  extra request header, repeatable (Content-Type,
                            Authorization, or Expect to try another expectation);
                            values in printable ASCII (space and tab included)
  -t, --timeout <ms>        bound on the whole run: connect, TLS, head and answer
                            (default ${DEFAULT_TIMEOUT_MS})
  -k, --insecure            https: do not verify the server's certificate
      --cacert <file>       https: also trust the CA certificates in this PEM file
      --json                one JSON object on stdout, for scripts (printable
                            ASCII: other characters are \\u-escaped)
  -h, --help                this text

What the server sends is shown with control characters escaped (\\x1b, \\n...);
at most ${MAX_INTERIM_SHOWN} interim (1xx) responses are listed, the rest counted.

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
  if (text.trim().startsWith('-')) throw new UsageError(`bad --size "${visible(text, 40)}": a size cannot be negative (0 or more bytes, e.g. 10M)`)
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = match === null ? undefined : UNITS[(match[2] as string).toLowerCase()]
  if (match === null || unit === undefined) {
    throw new UsageError(`bad --size "${visible(text, 40)}": expected a number of bytes, optionally with K, M, G, KB, MB or GB (e.g. 10M)`)
  }
  const size = Number(match[1]) * unit
  if (!Number.isSafeInteger(size)) throw new UsageError(`bad --size "${visible(text, 40)}": not a whole number of bytes up to ${Number.MAX_SAFE_INTEGER}`)
  return size
}

/**
 * `Name: value`, with a valid field name and a value in printable ASCII, space and tab: what is
 * shown is then exactly what is written (no character can turn into CR, LF or NUL on the wire).
 * The messages never echo a value (it may be a credential).
 */
export function parseHeader (text: string): [string, string] {
  const colon = text.indexOf(':')
  const name = colon === -1 ? '' : text.slice(0, colon).trim()
  const value = colon === -1 ? '' : text.slice(colon + 1).trim()
  if (colon === -1) {
    // Not echoed: without a colon there is no telling a name from a credential typed in the wrong form.
    throw new UsageError('bad --header: no colon in it; expected \'Name: value\' (its text is not repeated here: it may hold a credential)')
  }
  if (!TOKEN.test(name)) throw new UsageError(`bad --header "${visible(name, 40)}": not a valid field name (letters, digits and !#$%&'*+-.^_\`|~)`)
  if (!FIELD_VALUE.test(value)) {
    const bad = [...value].find((c) => !FIELD_VALUE.test(c)) as string
    const at = value.indexOf(bad)
    const code = (bad.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')
    throw new UsageError(`bad --header "${name}": its value may hold only printable ASCII, spaces and tabs; ` +
      `character ${at + 1} is U+${code} (encode it first, e.g. percent-encoding)`)
  }
  if (OWN_HEADERS.has(name.toLowerCase())) {
    throw new UsageError(`bad --header "${name}": the probe declares the body itself (Content-Length from --size)`)
  }
  return [name, value]
}

export function parseUrl (text: string): URL {
  // Credentials typed in the URL are never echoed.
  const shown = visible(maskCredentials(text), 200)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`bad URL "${shown}": expected an absolute http:// or https:// URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`bad URL "${shown}": only http:// and https:// are supported (the probe speaks HTTP/1.1)`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`bad URL "${shown}": pass credentials with --header 'Authorization: ...' rather than in the URL`)
  }
  return url
}

export function parseTimeout (text: string): number {
  const timeout = /^\d+$/.test(text.trim()) ? Number(text) : NaN
  if (!(timeout >= 1 && timeout <= MAX_TIMEOUT_MS)) {
    throw new UsageError(`bad --timeout "${visible(text, 40)}": expected a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`)
  }
  return timeout
}

const OPTIONS = {
  method: { type: 'string', short: 'X' },
  size: { type: 'string', short: 's' },
  header: { type: 'string', short: 'H', multiple: true },
  timeout: { type: 'string', short: 't' },
  insecure: { type: 'boolean', short: 'k' },
  cacert: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const
/** Every spelling of an option, and the long name of those that take a value. */
const SPELLINGS = new Map<string, string | undefined>(Object.entries(OPTIONS).flatMap(([name, option]) => {
  const takes = option.type === 'string' ? name : undefined
  return 'short' in option ? [[`--${name}`, takes], [`-${option.short}`, takes]] : [[`--${name}`, takes]]
}))

/**
 * `--size -5` is the value -5 to a person, an option to parseArgs: a value that starts with a
 * dash and is no option of ours is joined to its option (`--size=-5`), so that it gets the
 * option's own message.
 */
function joinDashValues (argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const option = SPELLINGS.get(arg)
    const next = argv[i + 1]
    if (option !== undefined && next !== undefined && next.startsWith('-') && next !== '-' && !SPELLINGS.has(next.split('=')[0] as string)) {
      out.push(`--${option}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

/** parseArgs' errors in the probe's own words. */
function usageErrorOf (error: Error & { code?: string }): UsageError {
  const option = /'(-[^',]+)/.exec(error.message)?.[1] ?? ''
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option "${visible(option, 40)}"`)
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const takes = SPELLINGS.get(option)
    if (takes !== undefined) return new UsageError(`--${takes} needs a value (e.g. ${EXAMPLES[takes] ?? `--${takes} <value>`})`)
    return new UsageError(`${visible(option, 40)} takes no value`)
  }
  /* c8 ignore next: parseArgs' other errors cannot arise with these options (positionals are allowed) */
  return new UsageError(visible(error.message, 200))
}
const EXAMPLES: Record<string, string> = {
  method: '--method POST',
  size: '--size 10M',
  header: '--header \'Authorization: Bearer ...\'',
  timeout: '--timeout 5000',
  cacert: '--cacert ca.pem'
}

/** Parses `probe <url> [options]` (the arguments after the program name). */
export function parseProbeArgs (argv: readonly string[]): ParsedArgs {
  let parsed
  try {
    parsed = parseArgs({ args: joinDashValues(argv), allowPositionals: true, strict: true, options: OPTIONS })
  } catch (error) {
    throw usageErrorOf(error as Error)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { help: true }
  const [command, url, ...extra] = positionals
  if (command === undefined) throw new UsageError('no command given: expected "probe <url>"')
  if (command !== 'probe') throw new UsageError(`unknown command "${visible(command, 40)}": the only command is "probe"`)
  if (url === undefined) throw new UsageError('no URL given: expected "probe <url>"')
  if (extra.length > 0) throw new UsageError(`unexpected argument "${visible(maskCredentials(extra[0] as string), 200)}": one URL per probe`)
  const method = values.method ?? 'PUT'
  if (!TOKEN.test(method)) throw new UsageError(`bad --method "${visible(method, 40)}": not a valid HTTP method name`)
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
