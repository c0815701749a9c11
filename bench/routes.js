// @ts-check
// Question 2: server CPU per `Expect: 100-continue` upload, accepted (100, then
// a 1 KiB body, 201, on one keep-alive connection) and refused (413 from the
// declared length, no 100, which closes the connection: one connection each),
// as the app grows. One process per size, best of the rounds.
'use strict'
const { startServer } = require('./procs')
const { load, upload, uploadsKeptAlive, request } = require('./client')
const { TOKEN, MiB, extraRoute } = require('./server')

/** The bench app has 3 routes of its own; the rest are extra GET and POST routes. */
const BASE_ROUTES = 3

/** @param {number} length */
const head = (length) => request('PUT', '/files/a', { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': length, expect: '100-continue' })

const CASES = [
  { name: 'accepted', head: head(1024), size: 1024, status: 201 },
  { name: 'refused', head: head(2 * MiB), size: 2 * MiB, status: 413 }
]

/**
 * @param {import('./procs').Server} server @param {typeof CASES[number]} c @param {number} count
 * @returns {Promise<number>} µs of server CPU per upload
 */
async function cpuPerUpload (server, c, count) {
  const before = await server.ask('cpu')
  if (c.status === 201) {
    const statuses = await uploadsKeptAlive(server.port, c.head, Buffer.alloc(c.size, 0x61), count)
    if (statuses[201] !== count) throw new Error(`accepted uploads: ${JSON.stringify(statuses)}`)
  }
  for (let i = 0; i < count && c.status !== 201; i++) {
    const r = await upload(server.port, c.head, c.size)
    if (r.status !== c.status) throw new Error(`${c.name} upload: status ${r.status} (${r.error ?? ''}), expected ${c.status}`)
  }
  const after = await server.ask('cpu')
  return (after.user + after.system - before.user - before.system) / count
}

/**
 * @param {{ sizes: number[], modes: Array<'plain' | 'plugin'>, warmup: number, rounds: number, perRound: number, budgetMs: number }} options
 */
async function measureRoutes ({ sizes, modes, warmup, rounds, perRound, budgetMs }) {
  const results = []
  for (const routes of sizes) {
    for (const mode of modes) {
      const server = await startServer(mode, { extraRoutes: routes - BASE_ROUTES })
      /** @type {Record<string, number>} */
      const best = {}
      // Plain Fastify sends the 100 at once and would get the refused upload's body: not comparable.
      const cases = mode === 'plain' ? CASES.slice(0, 1) : CASES
      const deadline = Date.now() + budgetMs
      let r = 0
      try {
        // Every route once, as in a running app (a design may treat routes already served differently).
        const extra = routes - BASE_ROUTES
        await load(server.port, (i) => {
          const { method, url } = extraRoute(i)
          return request(method, url, method === 'POST' ? { 'content-length': 0 } : {})
        }, extra)
        for (const c of cases) await cpuPerUpload(server, c, warmup)
        // Bounded in time too: a design whose cost grows with the routes must not stall the run.
        for (; r < rounds && (r === 0 || Date.now() < deadline); r++) {
          for (const c of cases) best[c.name] = Math.min(best[c.name] ?? Infinity, await cpuPerUpload(server, c, perRound))
        }
      } finally {
        await server.close()
      }
      results.push({ routes, mode, rounds: r, cpu: best })
    }
  }
  return results
}

module.exports = { measureRoutes }
