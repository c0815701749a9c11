// @ts-check
// Part 4: memory and stability. A long run of mixed expectation requests
// against the plugin (accepted uploads, rejections of every kind, unknown
// expectations), from concurrent clients that wait for the 100, with the server
// process's heap and RSS read inside it (after a full GC: --expose-gc) before,
// during and after. Every answer is checked against the status it must get.
'use strict'
const { TOKEN } = require('../examples/upload-app')
const { rawRequest, head } = require('../examples/lib/raw-client')
const { slope } = require('./stats')

/** @typedef {{ kind: string, keepAlive: boolean, status: number, body: number, line: string, headers: Record<string, string> }} MixEntry */
/** @type {MixEntry} */
const accepted = { kind: 'accepted', keepAlive: true, status: 201, body: 1024, line: 'PUT /files/mem.bin HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', expect: '100-continue' } }
/**
 * The mix, in twentieths: 12 accepted, 6 rejected before the body (5 reasons), 2 with an unknown expectation.
 * @type {MixEntry[]}
 */
const MIX = [
  ...Array.from({ length: 12 }, () => accepted),
  { kind: 'rejected: size', keepAlive: false, status: 413, body: 5 * 1024 * 1024, line: 'PUT /files/mem.bin HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', expect: '100-continue' } },
  { kind: 'rejected: type', keepAlive: false, status: 415, body: 4096, line: 'PUT /files/mem.csv HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'text/csv', expect: '100-continue' } },
  { kind: 'rejected: auth', keepAlive: false, status: 401, body: 4096, line: 'PUT /files/mem.bin HTTP/1.1', headers: { 'content-type': 'application/octet-stream', expect: '100-continue' } },
  { kind: 'rejected: route', keepAlive: false, status: 404, body: 4096, line: 'PUT /nowhere HTTP/1.1', headers: { 'content-type': 'application/octet-stream', expect: '100-continue' } },
  { kind: 'rejected: headers', keepAlive: false, status: 400, body: 64, line: 'POST /ingest HTTP/1.1', headers: { 'content-type': 'application/json', expect: '100-continue' } },
  { kind: 'rejected: size', keepAlive: false, status: 413, body: 128 * 1024, line: 'POST /ingest HTTP/1.1', headers: { 'content-type': 'application/json', 'x-tenant': 'acme', expect: '100-continue' } },
  { kind: 'unknown expectation, no body', keepAlive: true, status: 417, body: 0, line: 'GET /ping HTTP/1.1', headers: { expect: 'x-fast-lane' } },
  { kind: 'unknown expectation, body', keepAlive: false, status: 417, body: 1024, line: 'PUT /files/mem.bin HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', expect: 'x-fast-lane' } }
]

const requests = MIX.map((m) => ({
  ...m,
  head: head(m.line, { host: 'localhost', ...m.headers, ...(m.body > 0 ? { 'content-length': m.body } : {}) }),
  payload: Buffer.alloc(m.body, 9)
}))

/**
 * @typedef {{ requests: number, heapUsed: number, rss: number, external: number }} MemorySample
 */

/**
 * @param {{ server: import('./servers').ServerChild, total: number, warmup: number, concurrency: number, samples: number, log: (line: string) => void }} options
 */
async function measureMemory (options) {
  const { server, total, warmup, concurrency, samples: sampleCount, log } = options
  /** @type {Record<string, number>} */
  const counts = {}
  /** @type {string[]} */
  const problems = []
  let next = 0
  let done = 0

  /** @param {number} limit */
  const runUntil = async (limit) => {
    const worker = async () => {
      /** @type {import('node:net').Socket | undefined} */
      let socket
      for (let i = next++; i < limit; i = next++) {
        const r = /** @type {typeof requests[number]} */ (requests[i % requests.length])
        const exchange = await rawRequest({
          port: server.port,
          head: r.head,
          body: r.payload,
          socket: r.keepAlive ? socket : undefined,
          keepOpen: r.keepAlive,
          lingerMs: r.keepAlive ? 50 : 1000,
          timeoutMs: 10000
        })
        if (r.keepAlive) socket = exchange.socket
        counts[r.kind] = (counts[r.kind] ?? 0) + 1
        if (exchange.status !== r.status && problems.length < 20) problems.push(`${r.kind}: got ${exchange.status ?? 'no status'}${exchange.reset ? ' (reset)' : ''}, expected ${r.status}`)
        done++
        onProgress()
      }
      socket?.destroy()
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }

  /** @type {MemorySample[]} */
  const during = []
  /** @type {Promise<void>[]} */
  const pendingSamples = []
  let nextSampleAt = Infinity
  let step = Infinity
  const onProgress = () => {
    if (done >= nextSampleAt) {
      nextSampleAt += step
      const at = done
      pendingSamples.push(server.mem(true).then((m) => { during.push({ requests: at, heapUsed: m.heapUsed, rss: m.rss, external: m.external }) }))
    }
  }

  const idleMem = await server.mem(true)
  const idle = { requests: 0, heapUsed: idleMem.heapUsed, rss: idleMem.rss, external: idleMem.external }
  await runUntil(warmup)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const startMem = await server.mem(true)
  if (!startMem.gcAvailable) throw new Error('the memory server must run with --expose-gc')
  const start = { requests: 0, heapUsed: startMem.heapUsed, rss: startMem.rss, external: startMem.external }
  const started = performance.now()
  done = 0
  next = 0
  for (const kind of Object.keys(counts)) delete counts[kind]
  step = Math.max(1, Math.floor(total / sampleCount))
  nextSampleAt = step
  await runUntil(total)
  const seconds = (performance.now() - started) / 1000
  await Promise.all(pendingSamples)
  during.sort((a, b) => a.requests - b.requests)
  // Idle connections closed, timers run out.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const endMem = await server.mem(true)
  const end = { requests: total, heapUsed: endMem.heapUsed, rss: endMem.rss, external: endMem.external }
  const series = [start, ...during]
  const heapSlope = slope(series.map((s) => s.requests), series.map((s) => s.heapUsed))
  // Once warm: the second half of the run.
  const late = during.filter((s) => s.requests >= total / 2)
  const lateSlope = slope(late.map((s) => s.requests), late.map((s) => s.heapUsed))
  const lateRssSlope = slope(late.map((s) => s.requests), late.map((s) => s.rss))
  const result = {
    total,
    warmup,
    concurrency,
    seconds,
    requestsPerSecond: total / seconds,
    counts,
    problems,
    idle,
    start,
    during,
    end,
    heapGrowth: end.heapUsed - start.heapUsed,
    rssGrowth: end.rss - start.rss,
    heapBytesPerRequest: heapSlope,
    lateHeapBytesPerRequest: lateSlope,
    lateRssBytesPerRequest: lateRssSlope
  }
  log(`  ${total} requests in ${seconds.toFixed(1)} s; heap ${(start.heapUsed / 1048576).toFixed(1)} -> ${(end.heapUsed / 1048576).toFixed(1)} MiB, RSS ${(start.rss / 1048576).toFixed(1)} -> ${(end.rss / 1048576).toFixed(1)} MiB, ${heapSlope.toFixed(2)} heap bytes per request (${lateSlope.toFixed(2)} in the second half)${problems.length > 0 ? `; ${problems.length} unexpected answers` : ''}`)
  return result
}

module.exports = { measureMemory, MIX }
