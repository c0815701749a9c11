// Interoperability tests: the example upload app, as users run it (with the
// built plugin), observed from the server side; real client programs run with a
// bound; and the facts each client showed, recorded for the README's table
// (`npm run interop:table` renders test/interop-results/*.json).
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildUploadApp, MiB, TOKEN } from '../../examples/upload-app'
import { countBytesRead, listenOnLoopback } from './server'

export { MiB, S3, TOKEN } from '../../examples/upload-app'

/**
 * An HTTP/2 exchange that sends no body reads only the preface, SETTINGS, HEADERS and a few control
 * frames (about 200 bytes here, 2 KiB with a TLS handshake); a client that does not wait sends its
 * initial window (65,535 bytes) at once, in DATA frames of up to 16 KiB by default.
 */
export const H2_HEAD_ONLY_BOUND = 16 * 1024

/** What the server saw of one request. */
export interface SeenRequest {
  readonly httpVersion: string
  readonly method: string
  readonly url: string
  readonly expect: string | undefined
  readonly contentLength: string | undefined
  /** HTTP/1.x: the size of the request head as it crossed the wire (request line, fields, blank line). */
  readonly headBytes: number
  /** The status the server answered with, once its response finished. */
  status: number | undefined
  /**
   * HTTP/1.x: the body bytes that crossed the wire for this request (its connection's bytes read less
   * the head), known when its connection carried it alone; undefined otherwise and over HTTP/2.
   */
  body: number | undefined
}

export interface Observed<T> {
  readonly result: T
  readonly requests: readonly SeenRequest[]
  /** Bytes the server read from the exchange's connections (over TLS, as encrypted). */
  readonly bytesRead: number
  /** HTTP/1.x only: bytes read beyond the request heads, i.e. the body bytes that crossed the wire. */
  readonly bodyBytes: number
}

export interface UploadServer {
  readonly app: FastifyInstance
  readonly port: number
  /** `http://127.0.0.1:PORT` or `https://...` */
  readonly origin: string
  /**
   * Runs one client exchange and reports what the server read, once every connection is closed
   * (the client must close its own: end the process, close the session or the pool).
   */
  observe<T>(exchange: () => Promise<T>): Promise<Observed<T>>
}

export interface UploadServerOptions {
  /** fastify-expect's options. */
  expectOptions?: Record<string, unknown>
  http2?: boolean
  tls?: { key: string, cert: string }
  /** Extra routes for one test, added next to the example app's own. */
  routes?: (app: FastifyInstance) => void
}

/** The example upload app (examples/upload-app.js, with fastify-expect), listening on loopback. */
export async function startUploadApp (t: Test, options: UploadServerOptions = {}): Promise<UploadServer> {
  const serverOptions: Record<string, unknown> = {}
  if (options.http2 === true) serverOptions.http2 = true
  if (options.tls !== undefined) serverOptions.https = { ...options.tls, allowHTTP1: false }
  const app = buildUploadApp({ serverOptions, expectOptions: options.expectOptions ?? {} }) as unknown as FastifyInstance
  options.routes?.(app)
  const count = countBytesRead(app.server)
  let seen: SeenRequest[] = []
  const connectionOf = new Map<SeenRequest, Socket>()
  const requestsOn = new WeakMap<Socket, number>()
  app.server.on('request', (request: IncomingMessage | Http2ServerRequest, response: { statusCode: number, once: (event: 'finish', listener: () => void) => void }) => {
    const entry: SeenRequest = {
      httpVersion: request.httpVersion,
      method: request.method ?? '',
      url: request.url ?? '',
      expect: request.headers.expect,
      contentLength: request.headers['content-length'],
      headBytes: request.httpVersionMajor === 1 ? headBytes(request as IncomingMessage) : 0,
      status: undefined,
      body: undefined
    }
    response.once('finish', () => { entry.status = response.statusCode })
    seen.push(entry)
    if (request.httpVersionMajor === 1) {
      const socket = (request as IncomingMessage).socket
      connectionOf.set(entry, socket)
      requestsOn.set(socket, (requestsOn.get(socket) ?? 0) + 1)
    }
  })
  const port = await listenOnLoopback(t, app)
  return {
    app,
    port,
    origin: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    async observe (exchange) {
      await closed(count.open)
      seen = []
      const before = count.bytesRead()
      const result = await exchange()
      await closed(count.open)
      const requests = seen
      // Every connection has closed: a connection that carried one request read its head and its body only.
      for (const r of requests) {
        const socket = connectionOf.get(r)
        if (socket !== undefined && requestsOn.get(socket) === 1) r.body = socket.bytesRead - r.headBytes
      }
      connectionOf.clear()
      const bytesRead = count.bytesRead() - before
      const heads = requests.reduce((sum, r) => sum + r.headBytes, 0)
      return { result, requests, bytesRead, bodyBytes: bytesRead - heads }
    }
  }
}

/**
 * Node's parser keeps the request line and the fields as sent, less the single space after
 * each colon; clients (curl, Node, undici, the AWS SDK, the JDK) write exactly one.
 */
function headBytes (request: IncomingMessage): number {
  let size = Buffer.byteLength(`${request.method} ${request.url} HTTP/${request.httpVersion}\r\n\r\n`, 'latin1')
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    size += Buffer.byteLength(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`, 'latin1')
  }
  return size
}

/** Waits until the server's connections have all closed; 10 s at most (then the test fails: a client left one open). */
async function closed (open: ReadonlySet<Socket>): Promise<void> {
  if (open.size === 0) return
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${open.size} connection(s) still open 10 s after the exchange`)), 10_000)
  })
  try {
    // A socket leaves the set on 'close': those in it now have not emitted it yet.
    await Promise.race([Promise.all([...open].map((socket) => once(socket, 'close'))), timeout])
  } finally {
    clearTimeout(timer)
  }
}

// ---------------------------------------------------------------------------
// Client programs

/** The full path of a program on PATH, or undefined. */
export function findProgram (name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

export interface ProgramRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a program to its end, killing it after `timeoutMs` (its code is then null). */
export function runProgram (file: string, args: readonly string[], options: { timeoutMs: number }): Promise<ProgramRun> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: unknown }) | null
      resolve({ code: failure === null ? 0 : typeof failure.code === 'number' ? failure.code : null, stdout, stderr })
    })
  })
}

/** A temporary directory removed when the test ends. */
export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-expect-interop-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made now with openssl (node:crypto makes
 * keys but no X.509 certificates). Check `findProgram('openssl')` first, to skip without it.
 */
export async function makeCertificate (t: Test): Promise<{ key: string, cert: string, certFile: string }> {
  const dir = tempDir(t)
  const run = await runProgram(findProgram('openssl') ?? 'openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'
  ], { timeoutMs: 30_000 })
  if (run.code !== 0) throw new Error(`openssl failed: ${run.stderr}`)
  const certFile = join(dir, 'cert.pem')
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile }
}

// ---------------------------------------------------------------------------
// Recording what each client did

/**
 * How much of an announced body crossed the wire: none, part of it, all of it; or, for a client that
 * does not wait and is refused, 'at once' (how much the server read before it stopped varies).
 */
export type BodySent = 'none' | 'partial' | 'all' | 'at once'

export function bodySent (bytes: number, length: number): BodySent {
  return bytes <= 0 ? 'none' : bytes >= length ? 'all' : 'partial'
}

/** HTTP/2: the exchange read too little to hold any DATA frame, or at least the whole body. */
export function h2BodySent (bytesRead: number, length: number): BodySent {
  return bytesRead < H2_HEAD_ONLY_BOUND ? 'none' : bytesRead >= length ? 'all' : 'partial'
}

/** A refused upload from a client that did not wait: it sent its body, or part of it, at once. */
export function sentAtOnce (sent: BodySent): BodySent {
  return sent === 'none' ? 'none' : 'at once'
}

export interface CaseFacts {
  /** e.g. 'too large (9 MiB > 8 MiB)' */
  readonly case: string
  /** The status the server answered with. */
  readonly answered: number
  /** What the client reported, as its API shows it: '413', '413 EntityTooLarge', 'no answer (hung)', 'error: ...'. */
  readonly reported: string
  /** The server saw `Expect: 100-continue`. */
  readonly expectSent: boolean
  /** A 100 came first: the client showed it, or sent its body after it. Refusals without one are 'before the body'. */
  readonly continueSeen?: boolean
  /** How much of the body crossed the wire. */
  readonly body: BodySent
  /** The client does not wait and is refused while it uploads: whether any body crossed is a race (see `differsFromRecording`). */
  readonly race?: true
}

export interface ClientFacts {
  /** File name under test/interop-results and the row order, e.g. '10-curl-http1'. */
  readonly id: string
  /** The client as users name it, with the version tested. */
  readonly client: string
  readonly protocol: string
  /** When it sends Expect, if not always or never (e.g. 'bodies over 1 MiB'). */
  readonly expectWhen?: string
  readonly notes: string
  readonly cases: readonly CaseFacts[]
}

export const RESULTS_DIR = join(__dirname, '..', '..', 'results', 'interop')

/** `npm run interop:record` sets it: only then do the tests write their facts (`npm test` only reads). */
export const RECORDING = process.env.INTEROP_RECORD === '1'

/** curl over HTTP/2 loses an answer the server follows with RST_STREAM(NO_ERROR) as error 52 or 92 (see helpers/curl.ts). */
const LOST_TO_RESET = /^error (52|92)$/

/**
 * The recorded case (results/interop) and the one measured now agree, within the stated tolerance:
 * every cell exactly, except the outcomes of a race the client runs itself. An answer curl lost to the
 * server's RST_STREAM (error 52/92) stands for that answer; and in a case marked `race` (a client that
 * does not wait, refused while it uploads) the body may have crossed or not ('none' or 'at once').
 * Returns what differs, or undefined.
 */
export function differsFromRecording (live: CaseFacts, recorded: CaseFacts): string | undefined {
  const reported = (c: CaseFacts): string => LOST_TO_RESET.test(c.reported) ? String(c.answered) : c.reported
  const body = (c: CaseFacts): string => live.race === true && recorded.race === true && c.body === 'at once' ? 'none' : c.body
  const differences: string[] = []
  if (live.answered !== recorded.answered) differences.push(`answered ${live.answered}, recorded ${recorded.answered}`)
  if (reported(live) !== reported(recorded)) differences.push(`reported ${live.reported}, recorded ${recorded.reported}`)
  if (live.expectSent !== recorded.expectSent) differences.push(`Expect sent ${live.expectSent}, recorded ${recorded.expectSent}`)
  if ((live.continueSeen === true) !== (recorded.continueSeen === true)) differences.push(`100 seen ${live.continueSeen === true}, recorded ${recorded.continueSeen === true}`)
  if (body(live) !== body(recorded)) differences.push(`body ${live.body}, recorded ${recorded.body}`)
  return differences.length === 0 ? undefined : differences.join('; ')
}

/**
 * Call at the end of a client's test, with the facts it measured. `npm run interop:record`: they are
 * written for the README's table when the test ends, if all its assertions passed. Otherwise (`npm run
 * test:interop`, CI): the README's row is re-measured, each case checked against the recording within
 * the tolerance of `differsFromRecording` (the client's version may differ: the row names the one recorded).
 */
export function recordFacts (t: Test, facts: ClientFacts): void {
  const file = join(RESULTS_DIR, `${facts.id}.json`)
  if (RECORDING) {
    t.teardown(() => {
      if (!t.passing()) return
      mkdirSync(RESULTS_DIR, { recursive: true })
      // Written whole and renamed: the table test may be reading it at the same time.
      const temporary = `${file}.${process.pid}.tmp`
      writeFileSync(temporary, JSON.stringify(facts, null, 2) + '\n')
      renameSync(temporary, file)
    })
    return
  }
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as ClientFacts
  t.same(facts.cases.map((c) => c.case), recorded.cases.map((c) => c.case), `${facts.id}: the cases of the README's row`)
  for (const [i, live] of facts.cases.entries()) {
    const was = recorded.cases[i]
    if (was === undefined) continue
    const difference = differsFromRecording(live, was)
    t.equal(difference, undefined, `${facts.id}, ${live.case}: as the README's row says${difference === undefined ? '' : ` (${difference})`}`)
  }
}

// ---------------------------------------------------------------------------
// The uploads each client makes to the example app's /files route

export interface UploadCase {
  readonly label: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly bytes: number
  /** The status the app answers with. */
  readonly answered: number
}

const authorized = { authorization: TOKEN, 'content-type': 'image/png' }

export const UPLOAD_CASES: readonly UploadCase[] = [
  { label: 'accepted (512 KiB)', path: '/files/cat.png', headers: authorized, bytes: 512 * 1024, answered: 201 },
  { label: 'too large (3 MiB > 1 MiB)', path: '/files/big.png', headers: authorized, bytes: 3 * MiB, answered: 413 },
  { label: 'wrong type (text/csv)', path: '/files/report.csv', headers: { ...authorized, 'content-type': 'text/csv' }, bytes: 3 * MiB, answered: 415 },
  { label: 'unauthorized (no token)', path: '/files/cat.png', headers: { 'content-type': 'image/png' }, bytes: 3 * MiB, answered: 401 },
  { label: 'not found', path: '/nowhere', headers: authorized, bytes: 3 * MiB, answered: 404 }
]
