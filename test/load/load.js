// @ts-check
// Load: many concurrent connections doing expectation uploads, a mix of
// accepted and refused ones, for a fixed number of requests, against a Fastify
// app with the plugin in this process. Every client must get the status its
// request calls for, with no reset; afterwards no socket may be left open
// (server.getConnections() back to 0) and the heap must come back near where it
// started.
//
// `runLoad(options)` returns the figures as a plain object (see LoadFigures);
// `node test/load.js [--connections 1000] [--requests 20000]` prints them.
// test/load.test.ts runs a small version against the plugin's source.
'use strict'
const v8 = require('node:v8')
const vm = require('node:vm')
const { rawRequest, head } = require('../helpers/raw-client')

/** The mix, by request number: what is sent and what must come back. */
const KINDS = [
  { name: 'accepted', status: 200, headers: { 'content-type': 'application/octet-stream', authorization: 'yes' }, sendBody: 'on-continue' },
  { name: 'too large', status: 413, headers: { 'content-type': 'application/octet-stream', authorization: 'yes' }, length: 1024 * 1024, sendBody: 'on-continue' },
  { name: 'wrong type', status: 415, headers: { 'content-type': 'text/csv', authorization: 'yes' }, sendBody: 'on-continue' },
  { name: 'unauthorized', status: 401, headers: { 'content-type': 'application/octet-stream' }, sendBody: 'on-continue' },
  { name: 'accepted', status: 200, headers: { 'content-type': 'application/octet-stream', authorization: 'yes' }, sendBody: 'on-continue' },
  // A client that does not wait: it sends its body although it is refused (lingering close).
  { name: 'too large, sent anyway', status: 413, headers: { 'content-type': 'application/octet-stream', authorization: 'yes' }, length: 256 * 1024, sendBody: 'now' }
]

/**
 * @typedef {object} LoadOptions
 * @property {typeof import('fastify').default} [Fastify]
 * @property {any} [plugin] the plugin (default: the built package)
 * @property {Record<string, unknown>} [pluginOptions]
 * @property {number} [connections] concurrent connections (default 1000)
 * @property {number} [requests] requests in all (default 20 000)
 * @property {number} [bodySize] body of an accepted upload (default 16 KiB)
 * @property {number} [heapBoundMiB] how far above its start the heap may end (default 16 MiB)
 * @property {number} [closeBoundMs] how long sockets may take to close once all answers are in (default 10 s)
 */

/**
 * @typedef {object} LoadFigures
 * @property {number} connections concurrent connections used
 * @property {number} requests requests completed
 * @property {Record<string, number>} byKind requests per kind of upload
 * @property {Record<string, number>} statuses final statuses received, by code
 * @property {number} unexpected answers with another status than the one expected (includes none)
 * @property {number} resets connections reset under a client (ECONNRESET / EPIPE)
 * @property {number} continues 100 Continue responses received
 * @property {number} bodyBytesSent body bytes the clients put on the wire
 * @property {number} durationMs from the first request to the last answer
 * @property {number} requestsPerSecond requests / duration
 * @property {number} connectionsOpened TCP connections the clients opened
 * @property {number} openAfter server connections still open after `closeBoundMs`
 * @property {number} closedAfterMs time from the last answer until the server had no connection left
 * @property {number} heapBeforeMiB heap used before the run, after a full GC
 * @property {number} heapAfterMiB heap used after the run and the closes, after a full GC
 * @property {number} heapGrowthMiB heapAfterMiB - heapBeforeMiB
 * @property {number} rssBeforeMiB
 * @property {number} rssAfterMiB
 * @property {string[]} problems every way the run fell short (empty when it passed)
 * @property {boolean} ok no problem
 */

const MiB = 1024 * 1024

/** A full GC: from --expose-gc, or enabled on the fly. */
function collector () {
  if (typeof global.gc === 'function') return /** @type {() => void} */ (global.gc)
  v8.setFlagsFromString('--expose-gc')
  return /** @type {() => void} */ (vm.runInNewContext('gc'))
}

/** Heap used after full collections, in MiB. @param {() => void} gc */
async function settledHeap (gc) {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed / MiB
}

/**
 * @param {LoadOptions} [options]
 * @returns {Promise<LoadFigures>}
 */
async function runLoad (options = {}) {
  const Fastify = options.Fastify ?? require('fastify')
  const plugin = options.plugin ?? require('../..')
  const connections = options.connections ?? 1000
  const requests = options.requests ?? 20_000
  const bodySize = options.bodySize ?? 16 * 1024
  const heapBound = options.heapBoundMiB ?? 16
  const closeBound = options.closeBoundMs ?? 10_000
  const gc = collector()

  const app = Fastify({ logger: false })
  await app.register(plugin, options.pluginOptions ?? {})
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.authorization !== 'yes') return reply.code(401).send({ error: 'who are you' })
  })
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (request, body, done) => done(null, body))
  app.put('/uploads/:name', { bodyLimit: 64 * 1024 }, async (request) => ({ stored: /** @type {Buffer} */ (request.body).length }))
  await app.listen({ port: 0, host: '127.0.0.1', backlog: connections * 2 })
  const port = /** @type {import('node:net').AddressInfo} */ (app.server.address()).port
  const getConnections = () => new Promise((resolve, reject) => app.server.getConnections((err, n) => { err == null ? resolve(n) : reject(err) }))

  const body = Buffer.alloc(bodySize, 7)
  const bigBodies = new Map(KINDS.filter((k) => k.length !== undefined).map((k) => [k.length, Buffer.alloc(/** @type {number} */ (k.length), 7)]))
  /** @type {Record<string, number>} */
  const byKind = {}
  /** @type {Record<string, number>} */
  const statuses = {}
  let unexpected = 0
  let resets = 0
  let continues = 0
  let bodyBytesSent = 0
  let opened = 0
  /** @type {string[]} */
  const samples = []

  const heapBefore = await settledHeap(gc)
  const rssBefore = process.memoryUsage().rss / MiB
  const started = performance.now()
  let next = 0
  const worker = async () => {
    /** @type {import('node:net').Socket | undefined} */
    let socket
    while (next < requests) {
      const i = next++
      const kind = /** @type {typeof KINDS[number]} */ (KINDS[i % KINDS.length])
      const payload = kind.length === undefined ? body : /** @type {Buffer} */ (bigBodies.get(kind.length))
      const kindHeaders = /** @type {Record<string, string>} */ (kind.headers)
      if (socket === undefined) opened++
      const r = await rawRequest({
        port,
        socket,
        keepOpen: true,
        head: head(`PUT /uploads/${i} HTTP/1.1`, { host: 'load', expect: '100-continue', 'content-length': payload.length, ...kindHeaders }),
        body: payload,
        sendBody: /** @type {'on-continue' | 'now'} */ (kind.sendBody),
        timeoutMs: 60_000,
        lingerMs: 20
      })
      // Reused only when the server said so: a refusal ends its connection.
      socket = r.headers.connection === 'keep-alive' ? r.socket : undefined
      if (socket === undefined) r.socket?.destroy()
      byKind[kind.name] = (byKind[kind.name] ?? 0) + 1
      statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1
      continues += r.informational.length
      bodyBytesSent += r.bodyBytesSent
      if (r.reset) resets++
      if (r.status !== kind.status || r.reset) {
        unexpected++
        if (samples.length < 5) samples.push(`#${i} ${kind.name}: expected ${kind.status}, got ${r.status ?? 'none'}${r.reset ? ' (reset)' : ''}`)
      }
    }
    socket?.destroy()
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const durationMs = performance.now() - started

  const closing = performance.now()
  let openAfter = /** @type {number} */ (await getConnections())
  while (openAfter > 0 && performance.now() - closing < closeBound) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    openAfter = /** @type {number} */ (await getConnections())
  }
  const closedAfterMs = performance.now() - closing
  await app.close()
  const heapAfter = await settledHeap(gc)
  const rssAfter = process.memoryUsage().rss / MiB

  const problems = []
  if (unexpected > 0) problems.push(`${unexpected} answers other than expected, e.g. ${samples.join('; ')}`)
  if (resets > 0) problems.push(`${resets} resets`)
  if (openAfter > 0) problems.push(`${openAfter} connections still open ${closeBound} ms after the last answer`)
  if (heapAfter - heapBefore > heapBound) problems.push(`heap grew by ${(heapAfter - heapBefore).toFixed(1)} MiB (bound ${heapBound} MiB)`)
  const round = (/** @type {number} */ n) => Math.round(n * 10) / 10
  return {
    connections,
    requests: next,
    byKind,
    statuses,
    unexpected,
    resets,
    continues,
    bodyBytesSent,
    durationMs: Math.round(durationMs),
    requestsPerSecond: Math.round(requests / (durationMs / 1000)),
    connectionsOpened: opened,
    openAfter,
    closedAfterMs: Math.round(closedAfterMs),
    heapBeforeMiB: round(heapBefore),
    heapAfterMiB: round(heapAfter),
    heapGrowthMiB: round(heapAfter - heapBefore),
    rssBeforeMiB: round(rssBefore),
    rssAfterMiB: round(rssAfter),
    problems,
    ok: problems.length === 0
  }
}

module.exports = { runLoad }

if (require.main === module) {
  const args = process.argv.slice(2)
  /** @param {string} name */
  const arg = (name) => { const i = args.indexOf(`--${name}`); return i === -1 ? undefined : Number(args[i + 1]) }
  runLoad({ connections: arg('connections'), requests: arg('requests') }).then((figures) => {
    console.log(JSON.stringify(figures, null, 2))
    if (!figures.ok) process.exitCode = 1
  }, (error) => {
    console.error(error)
    process.exitCode = 1
  })
}
