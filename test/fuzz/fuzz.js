// @ts-check
// Fuzzing the connection handling: seeded, property-based (fast-check), over
// raw sockets. Each case is one generated request (Expect values, framing,
// Content-Type, HTTP version, and how the client behaves: waits for the 100,
// sends at once, stops halfway, keeps sending after the answer) against a
// Fastify app with the plugin. The properties, checked on every case:
// - the server never crashes or logs an error (level >= 50), and no request the
//   plugin refused ever got a 100 (checked server-side, in onResponse);
// - the exchange ends with well-formed responses or a close, within a bound;
// - at most one 100, never a 100 after a final status, none for HTTP/1.0;
// - nothing follows the final response but the server's close;
// - the server still answers a fresh connection afterwards;
// - no 100 before an answer decidable from the head (415, 404, 403 from a check,
//   401 from a hook, 413 for a declared Content-Length over the limit);
// - a connection whose expectation got a final status without a 100, its body
//   unsent, is closed by the server (never left open);
// - no limit escaped: no parser or handler ever saw more than its route's or
//   parser's limit (checked server-side).
// The HTTP/2 run (fuzzH2) checks the same over Node's http2 client: streams
// answered before their body end (END_STREAM or RST_STREAM) within a bound.
//
// Shared by test/fuzz.test.ts (a few thousand cases, the plugin from source)
// and `npm run fuzz` / `node test/fuzz.js [--runs N] [--seed S] [--path P]`
// (100 000 by default, the built package), which prints the seed and path of
// any failure so that it can be replayed.
'use strict'
const fc = require('fast-check')
const net = require('node:net')
const { rawRequest, head: requestHead } = require('../helpers/raw-client')

/** Bound for one exchange: the app's idle timeout and lingering both end well before it. */
const EXCHANGE_BOUND_MS = 3000
/** How long a waiting client waits for a 100 before sending anyway (curl waits 1 s). */
const WAIT_MS = 20
/** The body limit of the main upload route. */
const LIMIT = 2048
/** The x-small streaming parser's own limit. */
const SMALL = 1000

/**
 * @typedef {object} FuzzServer
 * @property {number} port
 * @property {string[]} problems what the server side saw go wrong (error logs, a 100 after a refusal)
 * @property {() => Promise<void>} close
 */

/**
 * The app under test: a few routes covering every decision (accept and read,
 * accept a stream, answer without reading, a check that refuses, an own limit,
 * the plugin turned off), the plugin with short bounds, and an idle timeout so
 * that clients that stop halfway are ended.
 * @param {{ Fastify: typeof import('fastify').default, plugin: any, pluginOptions?: Record<string, unknown>, http2?: boolean }} setup
 * @returns {Promise<FuzzServer>}
 */
async function startFuzzServer ({ Fastify, plugin, pluginOptions = {}, http2 = false }) {
  /** @type {string[]} */
  const problems = []
  /** @type {(options: object) => import('fastify').FastifyInstance} */
  const build = /** @type {any} */ (Fastify)
  const app = build({
    ...(http2 ? { http2: true } : {}),
    connectionTimeout: 200,
    forceCloseConnections: true,
    logger: {
      level: 'warn',
      stream: {
        write (/** @type {string} */ line) {
          const entry = JSON.parse(line)
          if (entry.level >= 50) problems.push(`logged at ${entry.level}: ${entry.msg} ${entry.err?.stack ?? ''}`)
        }
      }
    }
  })
  await app.register(plugin, { lingerTimeout: 300, ...pluginOptions })
  // An auth hook: x-token: bad gets 401 from the head.
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
  })
  app.addHook('onResponse', async (request) => {
    const info = /** @type {{ verdict?: string, continueSent: boolean }} */ (/** @type {any} */ (plugin).expectationOf(request))
    if (info.verdict === 'refused' && info.continueSent) problems.push(`a 100 went out for a refused request: ${request.method} ${request.url}`)
  })
  app.addContentTypeParser('application/octet-stream', { bodyLimit: 8192 }, (request, payload, done) => {
    let bytes = 0
    payload.on('data', (/** @type {Buffer} */ chunk) => { bytes += chunk.length })
    payload.on('end', () => done(null, { bytes }))
    // A client gone halfway is the client's error, not the server's.
    payload.on('error', (/** @type {Error} */ err) => done(Object.assign(err, { statusCode: 400 })))
  })
  // A streaming parser with a limit of its own (Fastify ignores it; the plugin applies it).
  // The limit that applies: the route's own bodyLimit first (as Fastify orders them), else the
  // parser's; none on the route with `config.expect: false` (plain Fastify applies none to streams).
  /** @type {Record<string, number>} */
  const routeLimits = { '/upload': LIMIT, '/raw': LIMIT, '/legacy': Infinity }
  app.addContentTypeParser('application/x-small', { bodyLimit: SMALL }, (request, payload, done) => {
    let bytes = 0
    const limit = routeLimits[request.routeOptions.url ?? ''] ?? SMALL
    payload.on('data', (/** @type {Buffer} */ chunk) => {
      bytes += chunk.length
      if (bytes > limit) problems.push(`limit escaped: the x-small parser saw ${bytes} bytes on ${request.url}`)
    })
    payload.on('end', () => done(null, { bytes }))
    payload.on('error', (/** @type {Error} */ err) => done(Object.assign(err, { statusCode: /** @type {any} */ (err).statusCode ?? 400 })))
  })
  // A streaming parser that hands the body on unread: the handler reads request.raw.
  app.addContentTypeParser('application/x-raw', (request, payload, done) => { done(null) })
  app.get('/health', async () => 'ok')
  app.route({
    method: ['POST', 'PUT'],
    url: '/raw',
    bodyLimit: LIMIT,
    handler: async (request) => {
      let bytes = 0
      try {
        for await (const chunk of request.raw) {
          bytes += /** @type {Buffer} */ (chunk).length
          if (bytes > LIMIT) problems.push(`limit escaped: a handler read ${bytes} bytes of request.raw on a ${LIMIT}-byte route`)
        }
      } catch (error) {
        // A client gone halfway is the client's error, not the server's.
        throw Object.assign(/** @type {Error} */ (error), { statusCode: 400 })
      }
      return { bytes }
    }
  })
  app.route({
    method: ['POST', 'PUT'],
    url: '/after-checks',
    config: { expect: { sendContinue: 'after-checks', check: (/** @type {any} */ request) => { if (request.headers['x-deny'] !== undefined) throw Object.assign(new Error('denied'), { statusCode: 403 }) } } },
    handler: async (request) => ({ body: typeof request.body })
  })
  app.route({ method: ['POST', 'PUT'], url: '/plain', handler: async (request) => ({ body: typeof request.body }) })
  app.route({ method: ['POST', 'PUT'], url: '/upload', bodyLimit: LIMIT, handler: async (request) => ({ ok: true, body: typeof request.body }) })
  app.route({ method: ['POST', 'PUT'], url: '/ignore', handler: async (request, reply) => reply.code(202).send('not reading') })
  app.route({
    method: ['POST', 'PUT'],
    url: '/check',
    config: { expect: { check: (/** @type {any} */ request) => { if (request.headers['x-deny'] !== undefined) throw Object.assign(new Error('denied'), { statusCode: 403 }) } } },
    handler: async () => 'checked'
  })
  app.route({ method: ['POST', 'PUT'], url: '/legacy', config: { expect: false }, bodyLimit: LIMIT, handler: async () => 'legacy' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = /** @type {import('node:net').AddressInfo} */ (app.server.address())
  return { port: address.port, problems, close: () => app.close() }
}

/**
 * @typedef {object} FuzzCase
 * @property {'POST' | 'PUT'} method
 * @property {string} path
 * @property {'HTTP/1.1' | 'HTTP/1.0'} version
 * @property {string[]} expect Expect field lines (none, one or several)
 * @property {string[]} contentLength Content-Length lines
 * @property {string[]} transferEncoding Transfer-Encoding lines
 * @property {string | undefined} contentType
 * @property {boolean} deny send x-deny (the /check and /after-checks routes refuse)
 * @property {boolean} [badToken] send x-token: bad (the auth hook refuses)
 * @property {number} bodySize body bytes the client has
 * @property {'wait' | 'now' | 'halfway' | 'halfway-end' | 'after-answer' | 'never'} client
 */

const printable = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-=;,"/ \t'.split('')), maxLength: 40 })
const binary = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'))

const expectValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('100-continue', '100-Continue', '100-CONTINUE', ' 100-continue ', '100-continue, 100-continue', ', 100-continue ,', '100-continue;a=b', 'foo', '100-continue, foo', '"100-continue"', '100-continue=1', ',', '') },
  { weight: 2, arbitrary: printable },
  { weight: 1, arbitrary: binary },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((n) => Array(n).fill('100-continue').join(', ')) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 12000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('a', 'b=c', 'd;e', '100-continue', 'x-y'), { minLength: 2, maxLength: 50 }).map((t) => t.join(', ')) }
)

/** Content-Length lines, from the body size: right, missing, zero, huge, negative, duplicated, conflicting, garbage. */
const contentLengthKind = fc.constantFrom('right', 'right', 'right', 'missing', 'zero', 'huge', 'negative', 'duplicated', 'conflicting', 'garbage', 'spaces', 'list')

/** @type {fc.Arbitrary<FuzzCase>} */
const fuzzCase = fc.record({
  method: fc.constantFrom('POST', 'PUT'),
  path: fc.constantFrom('/upload', '/upload', '/ignore', '/check', '/legacy', '/nowhere', '/raw', '/after-checks', '/plain'),
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
  expectLines: fc.oneof({ weight: 1, arbitrary: fc.constant(/** @type {string[]} */ ([])) }, { weight: 5, arbitrary: fc.array(expectValue, { minLength: 1, maxLength: 3 }) }),
  contentLengthKind,
  transferEncoding: fc.oneof({ weight: 6, arbitrary: fc.constant(/** @type {string[]} */ ([])) }, { weight: 3, arbitrary: fc.constantFrom(['chunked'], ['gzip, chunked'], ['identity'], ['chunked', 'chunked'], ['x-garbage']) }),
  contentType: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/octet-stream', 'application/json; charset=utf-8', 'APPLICATION/OCTET-STREAM; x="y"', 'text/csv', 'text/plain', 'application/x-small', 'application/x-raw') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: printable },
    { weight: 1, arbitrary: binary }
  ),
  deny: fc.boolean(),
  badToken: fc.boolean(),
  bodySize: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 12000 }) }),
  client: fc.constantFrom('wait', 'wait', 'now', 'now', 'after-answer', 'halfway', 'halfway-end', 'never')
}).map((r) => {
  /** @type {Record<string, string[]>} */
  const lengths = {
    right: [String(r.bodySize)],
    missing: [],
    zero: ['0'],
    huge: ['99999999999999999999'],
    negative: ['-1'],
    duplicated: [String(r.bodySize), String(r.bodySize)],
    conflicting: [String(r.bodySize), String(r.bodySize + 1)],
    garbage: ['12abc'],
    spaces: [` ${r.bodySize} `],
    list: [`${r.bodySize}, ${r.bodySize}`]
  }
  return /** @type {FuzzCase} */ ({
    method: r.method,
    path: r.path,
    version: r.version,
    expect: r.expectLines,
    contentLength: /** @type {string[]} */ (lengths[r.contentLengthKind]),
    transferEncoding: r.transferEncoding,
    contentType: r.contentType,
    deny: r.deny,
    badToken: r.badToken,
    bodySize: r.bodySize,
    client: r.client
  })
})

/**
 * The request's bytes: the head, and the body as the framing says (chunked when
 * Transfer-Encoding ends in chunked, else the raw bytes).
 * @param {FuzzCase} c
 */
function render (c) {
  const lines = [`${c.method} ${c.path} ${c.version}`, 'host: fuzz']
  for (const v of c.expect) lines.push(`expect: ${v}`)
  for (const v of c.contentLength) lines.push(`content-length: ${v}`)
  for (const v of c.transferEncoding) lines.push(`transfer-encoding: ${v}`)
  if (c.contentType !== undefined) lines.push(`content-type: ${c.contentType}`)
  if (c.deny) lines.push('x-deny: 1')
  if (c.badToken === true) lines.push('x-token: bad')
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')
  const raw = Buffer.alloc(c.bodySize, 0x61)
  const chunked = /chunked\s*$/i.test(c.transferEncoding[c.transferEncoding.length - 1] ?? '')
  // What follows the head is what the framing announces: bytes beyond it would
  // be a next request, which is the client's to send, not a body.
  const noBody = c.transferEncoding.length === 0 && (c.contentLength.length === 0 || c.contentLength[0] === '0')
  const body = chunked
    ? Buffer.concat([Buffer.from(raw.length > 0 ? `${raw.length.toString(16)}\r\n` : ''), raw, Buffer.from(raw.length > 0 ? '\r\n0\r\n\r\n' : '0\r\n\r\n')])
    : noBody ? Buffer.alloc(0) : raw
  return { head, body }
}

/**
 * @typedef {object} Exchange
 * @property {string} received everything the server sent, latin1
 * @property {boolean} closed the server closed the connection (FIN or reset)
 * @property {boolean} timedOut the exchange did not end within the bound
 * @property {boolean} [leftOpen] a refused expectation's connection was still open at the bound
 */

/**
 * The request carries a 100-continue expectation the server must act on (HTTP/1.1,
 * a well-formed Expect listing only 100-continue).
 * @param {FuzzCase} c
 */
function expectsContinue (c) {
  if (c.version !== 'HTTP/1.1' || c.expect.length === 0) return false
  const elements = c.expect.join(', ').split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '')
  return elements.length > 0 && elements.every((e) => e === '100-continue')
}

/**
 * The final status the server gives from the head alone, when one is certain:
 * no 100 may come before it.
 * @param {FuzzCase} c
 * @param {number} status the final status received
 */
function decidableFromHead (c, status) {
  if (status === 401 && c.badToken === true) return true
  if (status === 404 && c.path === '/nowhere') return true
  if (status === 403 && c.deny && (c.path === '/check' || c.path === '/after-checks')) return true
  if (status === 415) return true
  // 413 with a declared, valid Content-Length: over the limit by the head.
  if (status === 413 && c.transferEncoding.length === 0 && c.contentLength.length === 1 && /^\d+$/.test(c.contentLength[0] ?? '')) return true
  return false
}

/**
 * Runs one case over a fresh connection, as the client it describes.
 * @param {number} port
 * @param {FuzzCase} c
 * @returns {Promise<Exchange>}
 */
function exchange (port, c) {
  const { head, body } = render(c)
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let received = ''
    let bodySent = false
    let done = false
    let awaitingClose = false
    /** @type {NodeJS.Timeout[]} */
    const timers = []
    const finish = (/** @type {boolean} */ closed, /** @type {boolean} */ timedOut) => {
      if (done) return
      done = true
      timers.forEach(clearTimeout)
      socket.destroy()
      resolve({ received, closed, timedOut, leftOpen: awaitingClose && !closed })
    }
    const sendBody = (/** @type {Buffer} */ bytes = body) => {
      if (bodySent || socket.destroyed) return
      bodySent = true
      socket.write(bytes, () => {})
    }
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      const parsed = parseResponses(received)
      if (parsed.sawContinue && c.client === 'wait') sendBody()
      if (parsed.finalComplete) {
        // Sent anyway after a refusal that ends the connection: never to be read as requests.
        if (c.client === 'after-answer' && /close/i.test(parsed.responses.find((r) => r.status >= 200)?.headers.connection ?? '')) {
          sendBody(Buffer.concat([body, Buffer.from(requestHead('GET /health HTTP/1.1', { host: 'fuzz' }))]))
        }
        // A final status without a 100 to a client still holding its body: the server must end the
        // connection (its body will never come, and no byte of it may be read as a request).
        const final = parsed.responses.find((r) => r.status >= 200)
        if (!bodySent && !parsed.sawContinue && c.client === 'wait' && expectsContinue(c) && (final?.status ?? 0) >= 400 && body.length > 0) {
          awaitingClose = true
          return
        }
        // Wait a little for anything that should not come (a late 100, a second response).
        timers.push(setTimeout(() => finish(false, false), 15))
      }
    })
    socket.on('end', () => finish(true, false))
    socket.on('error', () => finish(true, false))
    socket.once('connect', () => {
      socket.write(head)
      if (c.client === 'now') sendBody()
      if (c.client === 'wait') timers.push(setTimeout(sendBody, WAIT_MS))
      if (c.client === 'halfway' || c.client === 'halfway-end') {
        sendBody(body.subarray(0, Math.floor(body.length / 2)))
        if (c.client === 'halfway-end') socket.end()
      }
      timers.push(setTimeout(() => finish(false, !awaitingClose), EXCHANGE_BOUND_MS))
    })
  })
}

/**
 * Splits a byte stream into HTTP/1 responses.
 * @param {string} text
 */
function parseResponses (text) {
  /** @type {Array<{ statusLine: string, status: number, headers: Record<string, string>, complete: boolean }>} */
  const responses = []
  let rest = text
  let malformed
  let trailing = ''
  for (;;) {
    if (rest.length === 0) break
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) {
      if (!'HTTP/1.1 '.startsWith(rest.slice(0, 9)) && !rest.startsWith('HTTP/1.')) malformed = rest.slice(0, 80)
      trailing = rest
      break
    }
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n')
    if (!/^HTTP\/1\.[01] [1-5]\d\d [^\r\n]*$/.test(statusLine)) {
      malformed = statusLine.slice(0, 80)
      break
    }
    /** @type {Record<string, string>} */
    const headers = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon <= 0) malformed = `header line ${JSON.stringify(line.slice(0, 80))}`
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const status = Number(statusLine.slice(9, 12))
    rest = rest.slice(end + 4)
    if (status < 200) {
      responses.push({ statusLine, status, headers, complete: true })
      continue
    }
    const length = headers['content-length']
    if (length !== undefined) {
      const n = Number(length)
      const complete = rest.length >= n
      responses.push({ statusLine, status, headers, complete })
      rest = rest.slice(Math.min(n, rest.length))
      continue
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const endOfChunks = rest.indexOf('0\r\n\r\n')
      responses.push({ statusLine, status, headers, complete: endOfChunks !== -1 })
      rest = endOfChunks === -1 ? '' : rest.slice(endOfChunks + 5)
      continue
    }
    // No length: the body runs to the close (Node's own 400, 408 and 431).
    responses.push({ statusLine, status, headers, complete: false })
    rest = ''
  }
  const finals = responses.filter((r) => r.status >= 200)
  return {
    responses,
    malformed,
    trailing,
    sawContinue: responses.some((r) => r.status === 100),
    finalComplete: finals.length > 0 && (finals[0]?.complete ?? false)
  }
}

/**
 * What is wrong with an exchange, from the client's side.
 * @param {FuzzCase} c
 * @param {Exchange} x
 * @returns {string[]}
 */
function violations (c, x) {
  const problems = []
  const parsed = parseResponses(x.received)
  if (x.timedOut) problems.push(`no final response and no close within ${EXCHANGE_BOUND_MS} ms`)
  if (parsed.malformed !== undefined) problems.push(`malformed response: ${JSON.stringify(parsed.malformed)}`)
  const statuses = parsed.responses.map((r) => r.status)
  const firstFinal = statuses.findIndex((s) => s >= 200)
  const continues = statuses.filter((s) => s === 100).length
  if (continues > 1) problems.push(`${continues} times 100`)
  if (firstFinal !== -1 && statuses.slice(firstFinal + 1).some((s) => s < 200)) problems.push('an informational response after the final one')
  // Node hands over a request whose body it cannot frame (a Transfer-Encoding
  // not ending in chunked) or that the client cuts short, the app answers it and
  // keeps the connection, then the parser fails on the body and Fastify's client
  // error handler adds a 400 before closing. Node's and Fastify's own way, with or
  // without the plugin, and nothing is misread. Any other extra response is a finding.
  const unframable = c.transferEncoding.length > 0 && !/(^|,)\s*chunked\s*$/i.test(c.transferEncoding.join(', '))
  const cutShort = c.client === 'halfway-end'
  const extra = statuses.slice(firstFinal + 1)
  if (firstFinal !== -1 && extra.length > 0 && !((unframable || cutShort) && extra.length === 1 && extra[0] === 400)) problems.push(`more than one final response: ${statuses.join(', ')}`)
  if (firstFinal !== -1 && parsed.trailing.length > 0) problems.push(`bytes after the final response: ${JSON.stringify(parsed.trailing.slice(0, 80))}`)
  if (c.version === 'HTTP/1.0' && continues > 0) problems.push('a 100 for an HTTP/1.0 request')
  if (continues > 0 && statuses[firstFinal] === 417) problems.push('a 100, then 417')
  if (firstFinal === -1 && !x.closed && !x.timedOut) problems.push('ended without a final response or a close')
  if (continues > 0 && firstFinal !== -1 && decidableFromHead(c, statuses[firstFinal] ?? 0)) problems.push(`a 100 before ${statuses[firstFinal]}, an answer decidable from the head`)
  if (x.leftOpen === true) problems.push('a refused expectation\'s connection left open with its body unsent')
  return problems
}

/**
 * A GET on a fresh connection: the server still answers others.
 * @param {number} port
 */
async function healthy (port) {
  const r = await rawRequest({ port, head: requestHead('GET /health HTTP/1.1', { host: 'fuzz' }), lingerMs: 5 })
  return r.status === 200 && r.body === 'ok'
}

/**
 * The property, for fast-check: one case, then the server-side record, then a health check.
 * @param {FuzzServer} server
 * @param {(cases: number) => void} [progress]
 */
function property (server, progress) {
  let cases = 0
  return fc.asyncProperty(fuzzCase, async (c) => {
    progress?.(++cases)
    const before = server.problems.length
    const x = await exchange(server.port, c)
    const problems = violations(c, x)
    problems.push(...server.problems.slice(before))
    if (!await healthy(server.port)) problems.push('the server no longer answers a fresh connection')
    if (problems.length > 0) {
      throw new Error(`${problems.join('; ')}\n  request: ${JSON.stringify(render(c).head.toString('latin1'))} + ${c.bodySize} body bytes, client ${c.client}\n  received: ${JSON.stringify(x.received.slice(0, 600))}`)
    }
  })
}

/**
 * Runs `numRuns` cases against a fresh server; resolves with fast-check's details.
 * @param {{ Fastify: typeof import('fastify').default, plugin: any, numRuns: number, seed?: number, path?: string, pluginOptions?: Record<string, unknown>, progress?: (cases: number) => void }} options
 */
async function fuzz ({ Fastify, plugin, numRuns, seed, path, pluginOptions, progress }) {
  const server = await startFuzzServer({ Fastify, plugin, pluginOptions })
  const started = performance.now()
  try {
    const details = await fc.check(property(server, progress), { numRuns, seed, path, endOnFailure: path !== undefined })
    return { details, ms: performance.now() - started }
  } finally {
    await server.close()
  }
}

module.exports = { fuzz, decidableFromHead, LIMIT, SMALL, WAIT_MS, fuzzCase, render, exchange, violations, parseResponses, startFuzzServer, EXCHANGE_BOUND_MS }

if (require.main === module) {
  const args = process.argv.slice(2)
  /** @param {string} name */
  const arg = (name) => { const i = args.indexOf(`--${name}`); return i === -1 ? undefined : args[i + 1] }
  const numRuns = Number(arg('runs') ?? 100_000)
  const seed = Number(arg('seed') ?? 20261122)
  const path = arg('path')
  const started = performance.now()
  const progress = (/** @type {number} */ cases) => {
    if (cases % 10_000 === 0) console.log(`  ${cases} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`)
  }
  console.log(`fuzz: ${numRuns} cases, seed ${seed}${path === undefined ? '' : `, path ${path}`}`)
  fuzz({ Fastify: require('fastify'), plugin: require('../..'), numRuns, seed, path, progress }).then(({ details, ms }) => {
    console.log(`fuzz: ${details.numRuns} cases, seed ${details.seed}, ${(ms / 1000).toFixed(1)} s (${(ms / Math.max(details.numRuns, 1)).toFixed(2)} ms a case)`)
    if (details.failed) {
      console.log(`FAILED: replay with node test/fuzz.js --seed ${details.seed} --path "${details.counterexamplePath}" --runs 1`)
      console.log(details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance))
      process.exitCode = 1
    }
  }, (error) => {
    console.error(error)
    process.exitCode = 1
  })
}
