// @ts-check
// Question 4: heap and RSS of a server process (after a full GC) as refused
// expectation uploads accumulate: 413 from the declared length, each on its own
// connection, as clients retrying a too-large upload would send them.
'use strict'
const { startServer } = require('./procs')
const { upload, request } = require('./client')
const { TOKEN, MiB } = require('./server')

const HEAD = request('PUT', '/files/a', { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': 2 * MiB, expect: '100-continue' })

/**
 * @param {{ modes: Array<'plain' | 'plugin'>, batches: number, perBatch: number, concurrency: number }} options
 */
async function measureMemory ({ modes, batches, perBatch, concurrency }) {
  const results = []
  for (const mode of modes) {
    const server = await startServer(mode, { exposeGc: true })
    const sample = async (/** @type {number} */ requests) => {
      await server.ask('gc')
      const { heapUsed, rss } = await server.ask('mem')
      return { requests, heapUsed, rss }
    }
    const samples = []
    /** @type {Record<string, number>} */
    const statuses = {}
    try {
      // One batch first, so that the samples start after lazy start-up allocations.
      for (let b = 0; b <= batches; b++) {
        let left = perBatch
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (left-- > 0) {
            const r = await upload(server.port, HEAD, 2 * MiB, { waitMs: 1000 })
            statuses[r.status ?? r.error ?? 'none'] = (statuses[r.status ?? r.error ?? 'none'] ?? 0) + 1
          }
        }))
        samples.push(await sample(b * perBatch))
      }
    } finally {
      await server.close()
    }
    results.push({ mode, samples, statuses })
  }
  return results
}

module.exports = { measureMemory }
