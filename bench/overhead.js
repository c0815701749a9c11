// @ts-check
// Part 1: what the plugin costs on requests WITHOUT an expectation.
//
// Two server processes, plain Fastify and Fastify with fastify-expect, both the
// example upload app. For each kind of request, rounds of a fixed number of
// requests (autocannon, keep-alive) alternate between them (A B, B A, ...); each
// round reads the server's own process.cpuUsage() before and after, so the figure
// is the server's CPU time per request, whatever else the machine does. Noise on
// a shared machine only ever adds time, so the best round of each side is the
// closest to the true cost, and their ratio is the pair's figure. This is done
// on several pairs of fresh processes (started in alternating order); the median
// of their ratios is the headline, their range and each side's spread say how
// noisy it was. The same measurement of plain against plain (an A/A control)
// shows what the method can resolve on the machine of the day.
'use strict'
const { TOKEN } = require('../examples/upload-app')
const { median, min, quantile } = require('./stats')

/**
 * @typedef {{ url: string, method?: string, headers?: Record<string, string>, body?: string | Buffer, connections?: number, pipelining?: number, amount?: number, sampleInt?: number }} AutocannonOptions
 * @typedef {{ errors: number, timeouts: number, non2xx: number, '2xx': number, duration: number }} AutocannonResult
 * @typedef {import('node:events').EventEmitter} AutocannonInstance
 */
/** @type {(options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance} */
// @ts-ignore autocannon ships no type declarations
const autocannon = require('autocannon')

/**
 * Runs autocannon; also returns when its last response arrived (autocannon
 * itself notices the end of an `amount` run only at its next sampling tick).
 * @param {AutocannonOptions} options
 * @returns {Promise<{ result: AutocannonResult, lastResponseAt: number }>}
 */
function load (options) {
  return new Promise((resolve, reject) => {
    let lastResponseAt = performance.now()
    const instance = autocannon({ sampleInt: 10, ...options }, (err, result) => {
      if (err) reject(err)
      else resolve({ result, lastResponseAt })
    })
    instance.on('response', () => { lastResponseAt = performance.now() })
  })
}

/** The three kinds of request, none with an Expect header. */
/** @type {Array<{ name: string, method: string, path: string, headers: Record<string, string>, body: string | Buffer | undefined }>} */
const REQUEST_KINDS = [
  { name: 'GET /ping', method: 'GET', path: '/ping', headers: {}, body: undefined },
  {
    name: 'POST /ingest, small JSON',
    method: 'POST',
    path: '/ingest',
    headers: { 'content-type': 'application/json', 'x-tenant': 'acme' },
    body: JSON.stringify({ event: 'signup', user: 'u-1234', plan: 'pro', at: 1700000000000 })
  },
  {
    name: 'PUT /files, 4 KiB',
    method: 'PUT',
    path: '/files/bench.bin',
    headers: { authorization: TOKEN, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(4096, 7)
  }
]

/**
 * @param {import('./servers').ServerChild} server
 * @param {typeof REQUEST_KINDS[number]} kind
 * @param {number} amount
 * @param {number} connections
 */
async function round (server, kind, amount, connections) {
  const before = await server.cpu()
  const started = performance.now()
  const { result, lastResponseAt } = await load({
    url: `http://127.0.0.1:${server.port}${kind.path}`,
    method: kind.method,
    headers: kind.headers,
    body: kind.body,
    connections,
    pipelining: 1,
    amount
  })
  const seconds = (lastResponseAt - started) / 1000
  const after = await server.cpu()
  if (result.errors > 0 || result.non2xx > 0 || result['2xx'] !== amount) {
    throw new Error(`${kind.name} on ${server.mode}: ${result['2xx']} 2xx of ${amount}, ${result.non2xx} non-2xx, ${result.errors} errors`)
  }
  return { cpuPerRequest: (after - before) / amount, requestsPerSecond: amount / seconds }
}

/**
 * @typedef {object} Block one pair of fresh server processes
 * @property {number} plainBest lowest plain CPU per request over the block's rounds, microseconds
 * @property {number} pluginBest
 * @property {number} ratio pluginBest / plainBest
 * @property {number[]} plainRounds CPU per request of each round
 * @property {number[]} pluginRounds
 * @property {number[]} plainRps requests per second of each round
 * @property {number[]} pluginRps
 */
/**
 * @typedef {object} OverheadRow
 * @property {string} kind
 * @property {Block[]} blocks
 * @property {number} ratio median over the blocks of the ratio of their best rounds (the headline)
 * @property {number} ratioLow lowest block ratio
 * @property {number} ratioHigh highest block ratio
 * @property {number} pooledRatio best plugin round of all blocks / best plain round of all blocks
 * @property {number} plainBest best plain round of all blocks, microseconds
 * @property {number} pluginBest
 * @property {number} plainSpread (p75 - p25) / median of all plain rounds
 * @property {number} pluginSpread
 * @property {number} plainRps median requests per second, plain
 * @property {number} pluginRps
 * @property {boolean} met
 */

/**
 * Processes differ by a few percent among themselves (memory layout, JIT
 * decisions), whatever they run, and more when they do not start the same way:
 * a process left idle between its start and its first requests ran GET /ping
 * at 18 µs where one loaded at once ran it at 12 µs, for the rest of its life.
 * So each process is warmed up (every kind of request) right after it starts,
 * before the other one is started, and the comparison is repeated on several
 * pairs of fresh processes ("blocks"), started in alternating order; the median
 * of the blocks' ratios is the headline, with their range.
 * @param {{ start: (side: 'plain' | 'plugin') => Promise<import('./servers').ServerChild>, blocks: number, rounds: number, perRound: number, warmup: number, connections: number, goal: number, label?: string, log: (line: string) => void }} options
 * @returns {Promise<{ rows: OverheadRow[], blocks: number, rounds: number, perRound: number, warmup: number, connections: number }>}
 */
async function measureOverhead (options) {
  const { start, blocks, rounds, perRound, warmup, connections, goal, label = 'plugin / plain', log } = options
  /** @type {Map<string, Block[]>} */
  const byKind = new Map(REQUEST_KINDS.map((k) => [k.name, []]))
  for (let b = 0; b < blocks; b++) {
    /** @type {Partial<Record<'plain' | 'plugin', import('./servers').ServerChild>>} */
    const pair = {}
    try {
      /** @type {Array<'plain' | 'plugin'>} */
      const startOrder = b % 2 === 0 ? ['plain', 'plugin'] : ['plugin', 'plain']
      for (const side of startOrder) {
        const server = await start(side)
        pair[side] = server
        // Warm-up: JIT, and the gate's one run per route (it leaves the route's hook list then).
        for (const kind of REQUEST_KINDS) await round(server, kind, warmup, connections)
      }
      const plain = /** @type {import('./servers').ServerChild} */ (pair.plain)
      const plugin = /** @type {import('./servers').ServerChild} */ (pair.plugin)
      for (const kind of REQUEST_KINDS) {
        /** @type {Block} */
        const block = { plainBest: 0, pluginBest: 0, ratio: 0, plainRounds: [], pluginRounds: [], plainRps: [], pluginRps: [] }
        for (let r = 0; r < rounds; r++) {
          const order = (r + b) % 2 === 0 ? [plain, plugin] : [plugin, plain]
          for (const server of order) {
            const { cpuPerRequest, requestsPerSecond } = await round(server, kind, perRound, connections)
            if (server === plain) {
              block.plainRounds.push(cpuPerRequest)
              block.plainRps.push(requestsPerSecond)
            } else {
              block.pluginRounds.push(cpuPerRequest)
              block.pluginRps.push(requestsPerSecond)
            }
          }
        }
        block.plainBest = min(block.plainRounds)
        block.pluginBest = min(block.pluginRounds)
        block.ratio = block.pluginBest / block.plainBest
        const list = /** @type {Block[]} */ (byKind.get(kind.name))
        list.push(block)
      }
    } finally {
      await Promise.all([pair.plain?.close(), pair.plugin?.close()])
    }
    log(`  pair ${b + 1} of ${blocks}: ` + REQUEST_KINDS.map((k) => `${k.name} ${/** @type {Block[]} */ (byKind.get(k.name))[b]?.ratio.toFixed(3)}`).join(', '))
  }
  /** @type {OverheadRow[]} */
  const rows = REQUEST_KINDS.map((kind) => {
    const list = /** @type {Block[]} */ (byKind.get(kind.name))
    const ratios = list.map((x) => x.ratio)
    const plainAll = list.flatMap((x) => x.plainRounds)
    const pluginAll = list.flatMap((x) => x.pluginRounds)
    const ratio = median(ratios)
    return {
      kind: kind.name,
      blocks: list,
      ratio,
      ratioLow: min(ratios),
      ratioHigh: Math.max(...ratios),
      pooledRatio: min(pluginAll) / min(plainAll),
      plainBest: min(plainAll),
      pluginBest: min(pluginAll),
      plainSpread: (quantile(plainAll, 0.75) - quantile(plainAll, 0.25)) / median(plainAll),
      pluginSpread: (quantile(pluginAll, 0.75) - quantile(pluginAll, 0.25)) / median(pluginAll),
      plainRps: median(list.flatMap((x) => x.plainRps)),
      pluginRps: median(list.flatMap((x) => x.pluginRps)),
      met: ratio <= goal
    }
  })
  for (const row of rows) log(`  ${row.kind}: ${label} ${row.ratio.toFixed(3)} (median of ${blocks} pairs; ${row.ratioLow.toFixed(3)} to ${row.ratioHigh.toFixed(3)}), best rounds ${row.plainBest.toFixed(2)} / ${row.pluginBest.toFixed(2)} us`)
  return { rows, blocks, rounds, perRound, warmup, connections }
}

module.exports = { measureOverhead, REQUEST_KINDS }
