// @ts-check
// The fuzz run over HTTP/2 (h2c, Node's http2 client): generated uploads to the
// same app as test/fuzz/fuzz.js, served over HTTP/2. The properties, on every case:
// - at most one 100, none after the final status, none before an answer
//   decidable from the head;
// - a stream answered before its body ends within a bound (END_STREAM both
//   ways, or RST_STREAM), never left open;
// - no limit escaped, no error logged (server-side, as in fuzz.js);
// - the session, or a new one, still serves a GET.
// `node test/fuzz/fuzz-h2.js [--runs N] [--seed S]` (the built package).
'use strict'
const fc = require('fast-check')
const http2 = require('node:http2')
const { startFuzzServer, decidableFromHead, LIMIT, WAIT_MS } = require('./fuzz')

/** Bound for one exchange and for a stream to end after its answer. */
const BOUND_MS = 3000

/**
 * @typedef {object} H2Case
 * @property {'POST' | 'PUT'} method
 * @property {string} path
 * @property {string | undefined} expect
 * @property {'right' | 'missing' | 'over'} length
 * @property {string | undefined} contentType
 * @property {boolean} deny
 * @property {boolean} badToken
 * @property {number} bodySize
 * @property {'wait' | 'now' | 'never'} client
 */

/** @type {fc.Arbitrary<H2Case>} */
const h2Case = fc.record({
  method: fc.constantFrom('POST', 'PUT'),
  path: fc.constantFrom('/upload', '/ignore', '/check', '/legacy', '/nowhere', '/raw', '/after-checks', '/plain'),
  expect: fc.constantFrom(undefined, undefined, '100-continue', '100-continue', '100-Continue', ' 100-continue ', 'foo', '100-continue, foo'),
  length: fc.constantFrom('right', 'right', 'missing', 'missing', 'over'),
  contentType: fc.constantFrom(undefined, 'application/json', 'application/octet-stream', 'text/csv', 'text/plain', 'application/x-small', 'application/x-raw'),
  deny: fc.boolean(),
  badToken: fc.boolean(),
  bodySize: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 12000 }) }),
  client: fc.constantFrom('wait', 'wait', 'now', 'never')
})

/**
 * @typedef {object} H2Exchange
 * @property {number[]} statuses informational and final statuses, in order
 * @property {boolean} ended the response ended
 * @property {boolean} closed the stream closed within the bound after the answer
 * @property {boolean} timedOut no final status within the bound
 * @property {string | undefined} error
 */

/**
 * @param {() => http2.ClientHttp2Session} session
 * @param {H2Case} c
 * @returns {Promise<H2Exchange>}
 */
function exchange (session, c) {
  // 'over': a declared length over the routes' limits, and that many bytes.
  const body = Buffer.alloc(c.length === 'over' ? 10 * LIMIT + c.bodySize : c.bodySize, 0x61)
  /** @type {http2.OutgoingHttpHeaders} */
  const headers = { ':method': c.method, ':path': c.path }
  if (c.expect !== undefined) headers.expect = c.expect
  if (c.length === 'right') headers['content-length'] = body.length
  if (c.length === 'over') headers['content-length'] = body.length
  if (c.contentType !== undefined) headers['content-type'] = c.contentType
  if (c.deny) headers['x-deny'] = '1'
  if (c.badToken) headers['x-token'] = 'bad'
  return new Promise((resolve) => {
    /** @type {H2Exchange} */
    const x = { statuses: [], ended: false, closed: false, timedOut: false, error: undefined }
    const req = session().request(headers)
    let sent = false
    let finished = false
    /** @type {NodeJS.Timeout[]} */
    const timers = []
    const finish = () => {
      if (finished) return
      finished = true
      timers.forEach(clearTimeout)
      if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL)
      resolve(x)
    }
    const send = () => {
      if (sent || req.destroyed || req.closed) return
      sent = true
      req.end(body)
    }
    req.on('continue', () => { x.statuses.push(100); if (c.client === 'wait') send() })
    req.on('response', (h) => { x.statuses.push(Number(h[':status'])) })
    req.on('error', (/** @type {NodeJS.ErrnoException} */ err) => { x.error = err.code })
    req.resume()
    req.on('end', () => {
      x.ended = true
      // Node's client may not emit 'close' for a reset stream whose body it still holds: `closed` shows it.
      const check = () => { if (req.closed || req.destroyed) { x.closed = true; finish() } else timers.push(setTimeout(check, 5)) }
      check()
    })
    req.on('close', () => { if (x.statuses.some((s) => s >= 200)) x.closed = true; finish() })
    if (c.client === 'now') send()
    if (c.client === 'wait') timers.push(setTimeout(send, WAIT_MS * 5))
    timers.push(setTimeout(() => { x.timedOut = !x.statuses.some((s) => s >= 200); finish() }, BOUND_MS))
  })
}

/**
 * @param {H2Case} c
 * @param {H2Exchange} x
 */
function violations (c, x) {
  const problems = []
  const first = x.statuses.findIndex((s) => s >= 200)
  const continues = x.statuses.filter((s) => s === 100).length
  if (continues > 1) problems.push(`${continues} times 100`)
  if (first !== -1 && x.statuses.slice(first + 1).some((s) => s < 200)) problems.push('an informational response after the final one')
  const status = first === -1 ? 0 : x.statuses[first] ?? 0
  const asHttp1 = { transferEncoding: [], contentLength: c.length === 'missing' ? [] : ['1'], path: c.path, deny: c.deny, badToken: c.badToken }
  if (continues > 0 && first !== -1 && decidableFromHead(/** @type {any} */ (asHttp1), status)) problems.push(`a 100 before ${status}, an answer decidable from the head`)
  if (first !== -1 && x.ended && !x.closed) problems.push(`the stream was left open after its answer (${status})`)
  // A client that never sends may wait forever for an app that reads: not a finding. Others get an answer.
  if (x.timedOut && c.client !== 'never') problems.push(`no final status within ${BOUND_MS} ms`)
  return problems
}

/**
 * @param {{ Fastify: typeof import('fastify').default, plugin: any, numRuns: number, seed?: number, path?: string, progress?: (cases: number) => void }} options
 */
async function fuzzH2 ({ Fastify, plugin, numRuns, seed, path, progress }) {
  const server = await startFuzzServer({ Fastify, plugin, http2: true })
  const url = `http://127.0.0.1:${server.port}`
  /** @type {http2.ClientHttp2Session | undefined} */
  let current
  const session = () => {
    if (current === undefined || current.destroyed || current.closed) {
      current = http2.connect(url)
      current.on('error', () => {})
    }
    return current
  }
  let cases = 0
  const started = performance.now()
  try {
    const details = await fc.check(fc.asyncProperty(h2Case, async (c) => {
      progress?.(++cases)
      const before = server.problems.length
      const x = await exchange(session, c)
      const problems = violations(c, x)
      problems.push(...server.problems.slice(before))
      const ping = await exchange(session, { method: 'POST', path: '/plain', expect: undefined, length: 'right', contentType: 'application/json', deny: false, badToken: false, bodySize: 2, client: 'now' })
      if (!ping.statuses.includes(400) && !ping.statuses.includes(200)) problems.push(`the server no longer answers: ${ping.statuses.join(',')} ${ping.error ?? ''}`)
      if (problems.length > 0) throw new Error(`${problems.join('; ')}\n  case: ${JSON.stringify(c)}\n  statuses: ${x.statuses.join(', ')} ${x.error ?? ''}`)
    }), { numRuns, seed, path, endOnFailure: path !== undefined })
    return { details, ms: performance.now() - started }
  } finally {
    current?.destroy()
    await server.close()
  }
}

module.exports = { fuzzH2, h2Case, violations }

if (require.main === module) {
  const args = process.argv.slice(2)
  /** @param {string} name */
  const arg = (name) => { const i = args.indexOf(`--${name}`); return i === -1 ? undefined : args[i + 1] }
  const numRuns = Number(arg('runs') ?? 5000)
  const seed = Number(arg('seed') ?? 20261207)
  const path = arg('path')
  const started = performance.now()
  console.log(`fuzz (HTTP/2): ${numRuns} cases, seed ${seed}`)
  fuzzH2({
    Fastify: require('fastify'),
    plugin: require('../..'),
    numRuns,
    seed,
    path,
    progress: (cases) => { if (cases % 1000 === 0) console.log(`  ${cases} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`) }
  }).then(({ details, ms }) => {
    console.log(`fuzz (HTTP/2): ${details.numRuns} cases, seed ${details.seed}, ${(ms / 1000).toFixed(1)} s`)
    if (details.failed) {
      console.log(`FAILED: replay with node test/fuzz/fuzz-h2.js --seed ${details.seed} --path "${details.counterexamplePath}" --runs 1`)
      console.log(details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance))
      process.exitCode = 1
    }
  }, (error) => { console.error(error); process.exitCode = 1 })
}
