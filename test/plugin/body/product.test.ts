// The decision table as the product of its dimensions, generated: sendContinue
// mode x framing (length, chunked, HTTP/2 DATA without length, none) x parser
// kind (buffered, streaming, RegExp, catch-all, none) x who refuses (nobody,
// Fastify, an onRequest hook, the route's rules, its check, not-found) x HTTP
// version, each case sent with and without Expect. Every case asserts: the
// same final status both ways, the one the oracle gives; no 100 before an
// answer decidable from the head; the connection (HTTP/1) or the stream
// (HTTP/2) ended after an answer given before a body the client still holds;
// no parser or handler ever saw more than the limit that applies. One server
// per HTTP version, many requests, no sleeps.
import t from 'tap'
import http2 from 'node:http2'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { listen } from '../../helpers/server'
import { rawRequest, head } from '../../helpers/raw-client'

const ROUTE_LIMIT = 1024
const SERVER_LIMIT = 4096
const MODES = ['on-read', 'after-checks'] as const
const KINDS = ['buffered', 'streaming', 'regexp', 'catch-all', 'none'] as const
const WHO = ['nobody', 'fastify', 'hook', 'rule-type', 'rule-size', 'check', 'not-found'] as const
type Mode = typeof MODES[number]
type Kind = typeof KINDS[number]
type Who = typeof WHO[number]
type Framing = 'length' | 'chunked' | 'data' | 'none'

/** The media type each parser kind takes (the catch-all takes it in its own plugin). */
const TYPE: Record<Kind, string> = { buffered: 'application/json', streaming: 'application/x-stream', regexp: 'image/png', 'catch-all': 'application/x-anything', none: 'text/csv' }

interface Case { mode: Mode, kind: Kind, who: Who, framing: Framing, version: 1 | 2 }

function routes (seen: string[]) {
  return (app: FastifyInstance): void => {
    const count = (request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void): void => {
      let bytes = 0
      const limit = (request.routeOptions.config as { limit?: number }).limit ?? Infinity
      payload.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes > limit) seen.push(`${request.url}: a parser saw ${bytes} bytes over ${limit}`)
      })
      payload.on('end', () => { done(null, { bytes }) })
      payload.on('error', done)
    }
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
    })
    const check = (request: FastifyRequest): void => {
      if (request.headers['x-deny'] !== undefined) throw Object.assign(new Error('denied'), { statusCode: 403 })
    }
    const handler = async (request: FastifyRequest): Promise<unknown> => ({ body: typeof request.body })
    const declare = (scope: FastifyInstance, kind: Kind): void => {
      for (const mode of MODES) {
        // The route's rules: its types and its bodyLimit; the check on both.
        scope.put(`/r/${mode}/${kind}`, { bodyLimit: ROUTE_LIMIT, config: { limit: ROUTE_LIMIT, expect: { sendContinue: mode, contentTypes: [TYPE[kind]], check } } as object }, handler)
        // No rules of the route's size: Fastify's (server or parser) limits only.
        scope.put(`/f/${mode}/${kind}`, { config: { limit: kind === 'buffered' ? SERVER_LIMIT : Infinity, expect: { sendContinue: mode, check } } as object }, handler)
      }
    }
    app.addContentTypeParser('application/x-stream', count)
    app.addContentTypeParser(/^image\//, count)
    for (const kind of ['buffered', 'streaming', 'regexp', 'none'] as const) declare(app, kind)
    app.register(async (scope) => {
      scope.addContentTypeParser('*', count)
      declare(scope, 'catch-all')
    }, { prefix: '/any' })
  }
}

const pathOf = (c: Case): string => c.who === 'not-found'
  ? `/nowhere/${c.mode}`
  : `${c.kind === 'catch-all' ? '/any' : ''}/${c.who === 'fastify' ? 'f' : 'r'}/${c.mode}/${c.kind}`

/** Body size: over the limit that the refusing party applies, else small. */
function sizeOf (c: Case): number {
  if (c.framing === 'none') return 0
  if (c.who === 'rule-size') return 2 * ROUTE_LIMIT
  if (c.who === 'fastify') return 2 * SERVER_LIMIT
  return 100
}

/** The oracle: the final status, and whether it is decidable from the head (then no 100 may precede it). */
function expected (c: Case): { status: number, fromHead: boolean } {
  if (c.who === 'not-found') return { status: 404, fromHead: true }
  if (c.who === 'hook') return { status: 401, fromHead: true }
  // No body: the route's rules and Fastify's parsers have nothing to decide.
  if (c.framing === 'none') return { status: 200, fromHead: false }
  if (c.who === 'rule-type') return { status: 415, fromHead: true }
  // The route's check runs before Fastify looks for a parser (preParsing comes first).
  if (c.who === 'check') return { status: 403, fromHead: true }
  if (c.kind === 'none') return { status: 415, fromHead: true }
  const lengthKnown = c.framing === 'length'
  if (c.who === 'rule-size') return { status: 413, fromHead: lengthKnown }
  // Fastify holds a buffered body to the server's limit; streaming parsers have none (as in Fastify).
  if (c.who === 'fastify' && c.kind === 'buffered') return { status: 413, fromHead: lengthKnown }
  return { status: 200, fromHead: false }
}

function headersOf (c: Case): Record<string, string | number> {
  const type = c.who === 'rule-type' ? 'text/plain' : TYPE[c.kind]
  const size = sizeOf(c)
  return {
    ...(c.framing === 'none' ? {} : { 'content-type': type }),
    ...(c.framing === 'length' ? { 'content-length': size } : {}),
    ...(c.framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : {}),
    ...(c.who === 'hook' ? { 'x-token': 'bad' } : {}),
    ...(c.who === 'check' ? { 'x-deny': '1' } : {})
  }
}

function bodyOf (c: Case): Buffer {
  // A JSON string of that size: valid for every parser.
  const size = sizeOf(c)
  const payload = size === 0 ? Buffer.alloc(0) : Buffer.from(`"${'a'.repeat(size - 2)}"`)
  if (c.framing !== 'chunked') return payload
  return Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')])
}

interface Outcome { status: number | undefined, continued: boolean, ended: boolean }

/** `watchClose`: wait (within a bound) for the server to end the connection; else just report whether it did. */
async function http1 (port: number, c: Case, expect: boolean, watchClose = false): Promise<Outcome> {
  const r = await rawRequest({
    port,
    head: head(`PUT ${pathOf(c)} HTTP/1.1`, { host: 'x', ...headersOf(c), ...(expect ? { expect: '100-continue' } : {}) }),
    body: bodyOf(c),
    sendBody: expect ? 'on-continue' : 'now',
    stopBodyOnFinal: true,
    keepOpen: true
  })
  const ended = r.closedByServer || r.reset
  if (!watchClose || ended || r.informational.length > 0) r.socket?.destroy()
  return { status: r.status, continued: r.informational.length > 0, ended: ended || (watchClose && r.informational.length === 0 && await closes(r.socket)) }
}

/** Whether the server ends the connection; the bound is a wait, not a speed requirement. */
function closes (socket: import('node:net').Socket | undefined): Promise<boolean> {
  if (socket === undefined) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (ended: boolean): void => { clearTimeout(bound); socket.destroy(); resolve(ended) }
    const bound = setTimeout(() => { done(false) }, 3000)
    socket.on('error', () => { done(true) })
    socket.on('end', () => { done(true) })
    socket.on('close', () => { done(true) })
    socket.resume()
  })
}

function http2Exchange (session: http2.ClientHttp2Session, c: Case, expect: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { status: undefined, continued: false, ended: false }
    const body = bodyOf(c)
    const req = session.request({ ':method': 'PUT', ':path': pathOf(c), ...headersOf(c), ...(expect ? { expect: '100-continue' } : {}) }, { endStream: c.framing === 'none' })
    const send = (): void => { if (!req.closed && !req.destroyed && c.framing !== 'none') req.end(body) }
    req.on('continue', () => { outcome.continued = true; send() })
    req.on('response', (h) => { outcome.status = Number(h[':status']) })
    req.on('error', () => {})
    req.resume()
    let settled = false
    const done = (): void => {
      if (settled) return
      settled = true
      clearTimeout(bound)
      resolve(outcome)
    }
    // A bound on the wait, not a speed requirement: a stream left open shows as not ended.
    const bound = setTimeout(() => { done(); req.close(http2.constants.NGHTTP2_CANCEL) }, 3000)
    req.on('close', () => { outcome.ended = true; done() })
    req.on('end', () => {
      const check = (): void => { if (req.closed || req.destroyed) { outcome.ended = true; done() } else if (!settled) setTimeout(check, 5) }
      check()
    })
    if (!expect) send()
  })
}

function cases (version: 1 | 2): Case[] {
  const framings: Framing[] = version === 1 ? ['length', 'chunked', 'none'] : ['length', 'data', 'none']
  const all: Case[] = []
  for (const mode of MODES) {
    for (const kind of KINDS) {
      for (const who of WHO) {
        for (const framing of framings) all.push({ mode, kind, who, framing, version })
      }
    }
  }
  return all
}

for (const version of [1, 2] as const) {
  t.test(`HTTP/${version}: every combination, with and without Expect`, async (t) => {
    const seen: string[] = []
    const server = await listen(t, routes(seen), { server: { bodyLimit: SERVER_LIMIT, ...(version === 2 ? { http2: true } : {}) } as object })
    const session = version === 2 ? http2.connect(`http://127.0.0.1:${server.port}`) : undefined
    t.teardown(() => { session?.destroy() })
    let failures = 0
    const all = cases(version)
    for (const c of all) {
      const name = `${c.mode}, ${c.kind} parser, refused by ${c.who}, framing ${c.framing}`
      const want = expected(c)
      const withExpect = session === undefined ? await http1(server.port, c, true, want.status >= 400 && c.framing !== 'none') : await http2Exchange(session, c, true)
      const without = session === undefined ? await http1(server.port, c, false) : await http2Exchange(session, c, false)
      const problems: string[] = []
      if (withExpect.status !== want.status) problems.push(`with Expect: ${withExpect.status ?? 'none'}, not ${want.status}`)
      if (without.status !== want.status) problems.push(`without Expect: ${without.status ?? 'none'}, not ${want.status}`)
      if (want.fromHead && withExpect.continued) problems.push('a 100 before an answer decidable from the head')
      // The client still holds its body (it waited for a 100 that did not come): the server must end the exchange.
      if (want.status >= 400 && !withExpect.continued && c.framing !== 'none' && !withExpect.ended) problems.push('the connection or stream was left open after the early answer')
      if (problems.length > 0) {
        failures++
        t.fail(`${name}: ${problems.join('; ')}`)
      }
    }
    t.same(seen, [], 'no limit escaped')
    t.equal(failures, 0, `${all.length} combinations, each with and without Expect, as the oracle says`)
  })
}
