// @ts-check
// Question 1: server CPU per request WITHOUT `Expect`, plain Fastify (A) against
// Fastify with fastify-expect (B), beside plain against plain (A/A control).
// Each group is three fresh processes A, B, A2, alive together, measured in
// alternating rounds; each process's figure is its best round. Regime 'gc':
// the processes run a full GC after their warm-up (a long-running server's state).
'use strict'
const { startServer } = require('./procs')
const { load, request } = require('./client')
const { TOKEN } = require('./server')

const json = JSON.stringify({ id: 42, name: 'sensor-7', values: [1, 2, 3] })
const KINDS = [
  { name: 'GET', req: request('GET', '/ping', {}) },
  { name: 'small JSON POST', req: request('POST', '/ingest', { 'content-type': 'application/json', 'content-length': json.length }, json) },
  { name: '4 KiB PUT', req: request('PUT', '/blobs/a', { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': 4096 }, 'x'.repeat(4096)) }
]

/** @param {import('./procs').Server} server @param {number} count */
async function warm (server, count) {
  for (const kind of KINDS) await load(server.port, kind.req, count)
}

/** @param {import('./procs').Server} server @param {Buffer} req @param {number} count @returns {Promise<number>} µs of server CPU per request */
async function cpuPerRequest (server, req, count) {
  const before = await server.ask('cpu')
  const statuses = await load(server.port, req, count)
  const after = await server.ask('cpu')
  if (Object.keys(statuses).some((s) => Number(s) >= 300)) throw new Error(`unexpected statuses ${JSON.stringify(statuses)}`)
  return (after.user + after.system - before.user - before.system) / count
}

/**
 * @param {{ groups: number, regime: 'fresh' | 'gc', warmup: number, rounds: number, perRound: number }} options
 * @returns {Promise<Array<Record<'A' | 'B' | 'A2', { mode: string, cpu: Record<string, number>, slow: boolean | undefined }>>>}
 */
async function measureOverhead ({ groups, regime, warmup, rounds, perRound }) {
  const results = []
  for (let g = 0; g < groups; g++) {
    // Start order alternates, so that neither side is always the older process.
    const names = /** @type {Array<'A' | 'B' | 'A2'>} */ (g % 2 ? ['B', 'A', 'A2'] : ['A', 'B', 'A2'])
    /** @type {Array<{ name: 'A' | 'B' | 'A2', server: import('./procs').Server, best: Record<string, number> }>} */
    const procs = []
    for (const name of names) {
      // Warmed at once: an idle new process meets its first full GC with no tick item queued.
      const server = await startServer(name === 'B' ? 'plugin' : 'plain', { nodeArgs: ['--expose-gc', '--allow-natives-syntax'] })
      await warm(server, warmup)
      procs.push({ name, server, best: {} })
    }
    if (regime === 'gc') {
      for (const { server } of procs) {
        await server.ask('gc')
        await warm(server, warmup / 4)
      }
    }
    for (let r = 0; r < rounds; r++) {
      for (const kind of KINDS) {
        for (const p of r % 2 ? [...procs].reverse() : procs) {
          const us = await cpuPerRequest(p.server, kind.req, perRound)
          p.best[kind.name] = Math.min(p.best[kind.name] ?? Infinity, us)
        }
      }
    }
    /** @type {any} */
    const group = {}
    for (const p of procs) {
      group[p.name] = { mode: p.name === 'B' ? 'plugin' : 'plain', cpu: p.best, slow: await p.server.slowState() }
    }
    results.push(group)
  }
  return results
}

module.exports = { measureOverhead, KINDS }
