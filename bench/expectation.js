// @ts-check
// Part 2: the expectation path. Accepted uploads by a client that sends
// `Expect: 100-continue` and waits for the 100 before its body
// (examples/lib/raw-client.js), on keep-alive connections: plain Fastify, where
// Node answers 100 as soon as it has parsed the head, against fastify-expect,
// which answers 100 on the first read of the body (after routing, the route's
// onRequest hooks and its own checks), and, for reference, fastify-expect with
// sendContinue: 'after-checks'. Figures: the server's CPU time per request
// (process.cpuUsage() in the server process, best of alternating rounds) and the
// time from the client's last head byte to the 100 (median and p99).
'use strict'
const { TOKEN } = require('../examples/upload-app')
const { rawRequest, head } = require('../examples/lib/raw-client')
const { median, min, quantile } = require('./stats')

const SIZES = [1024, 64 * 1024, 1024 * 1024]

/**
 * Uploads `count` bodies of `size` bytes, one after another on one connection.
 * @param {import('./servers').ServerChild} server
 * @param {number} size
 * @param {number} count
 */
async function uploads (server, size, count) {
  const body = Buffer.alloc(size, 3)
  const requestHead = head(`PUT /files/upload-${size}.bin HTTP/1.1`, {
    host: 'localhost',
    authorization: TOKEN,
    'content-type': 'application/octet-stream',
    'content-length': size,
    expect: '100-continue'
  })
  /** @type {number[]} */
  const latencies = []
  /** @type {import('node:net').Socket | undefined} */
  let socket
  const before = await server.cpu()
  for (let i = 0; i < count; i++) {
    const r = await rawRequest({ port: server.port, head: requestHead, body, socket, keepOpen: true, timeoutMs: 10000 })
    if (r.status !== 201 || r.continueAt === undefined) {
      throw new Error(`upload of ${size} bytes to ${server.mode}: ${r.informational.join(', ')} ${r.status ?? 'no status'}`)
    }
    latencies.push((r.continueAt - r.headSentAt) * 1000)
    socket = r.socket
  }
  const after = await server.cpu()
  socket?.destroy()
  return { cpuPerRequest: (after - before) / count, latencies }
}

/**
 * @typedef {object} ExpectationSide
 * @property {string} mode
 * @property {number} cpuBest server CPU microseconds per request, best round
 * @property {number} cpuMedian
 * @property {number} latencyMedian head to 100, microseconds
 * @property {number} latencyP99
 * @property {number} samples
 */
/**
 * @typedef {object} ExpectationRow
 * @property {number} size
 * @property {ExpectationSide[]} sides plain first, then the plugin, then the plugin with after-checks
 */

/**
 * @param {{ servers: import('./servers').ServerChild[], rounds: number, perRound: number, warmup: number, log: (line: string) => void }} options
 * @returns {Promise<{ rows: ExpectationRow[], rounds: number, perRound: number, warmup: number }>}
 */
async function measureExpectation (options) {
  const { servers, rounds, perRound, warmup, log } = options
  /** @type {ExpectationRow[]} */
  const rows = []
  for (const size of SIZES) {
    for (const server of servers) await uploads(server, size, warmup)
    /** @type {Map<import('./servers').ServerChild, { cpu: number[], latencies: number[] }>} */
    const samples = new Map(servers.map((s) => [s, { cpu: [], latencies: [] }]))
    for (let r = 0; r < rounds; r++) {
      // Rotate the order, so that no side always runs first or last.
      const order = servers.map((_, i) => /** @type {import('./servers').ServerChild} */ (servers[(i + r) % servers.length]))
      for (const server of order) {
        const { cpuPerRequest, latencies } = await uploads(server, size, perRound)
        const s = /** @type {{ cpu: number[], latencies: number[] }} */ (samples.get(server))
        s.cpu.push(cpuPerRequest)
        s.latencies.push(...latencies)
      }
    }
    const sides = servers.map((server) => {
      const s = /** @type {{ cpu: number[], latencies: number[] }} */ (samples.get(server))
      return {
        mode: server.mode,
        cpuBest: min(s.cpu),
        cpuMedian: median(s.cpu),
        latencyMedian: median(s.latencies),
        latencyP99: quantile(s.latencies, 0.99),
        samples: s.latencies.length
      }
    })
    rows.push({ size, sides })
    log(`  ${size} bytes: ` + sides.map((s) => `${s.mode} ${s.cpuBest.toFixed(1)} us CPU, 100 after ${s.latencyMedian.toFixed(0)} us (p99 ${s.latencyP99.toFixed(0)})`).join('; '))
  }
  return { rows, rounds, perRound, warmup }
}

/**
 * Uploads of every size, right after a server starts (see overhead.js: a
 * process left idle after its start stays slower).
 * @param {import('./servers').ServerChild} server
 * @param {number} count per size
 */
async function warmUp (server, count) {
  for (const size of SIZES) await uploads(server, size, count)
}

module.exports = { measureExpectation, warmUp, SIZES }
