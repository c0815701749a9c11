// @ts-check
// The text for the README's `## Benchmarks` section, from the figures of a run
// (written to bench/results/readme-section.md; the README is edited by hand, as
// other sections of it are edited concurrently).
'use strict'
const { summarizeRejected } = require('./report')
const { formatSize } = require('./goals')

/**
 * @param {import('./run').Results} results
 * @param {{ chartLink: string }} options
 */
function readmeSection (results, options) {
  const m = results.machine
  const lines = []
  lines.push(`![Body bytes sent per rejected upload against round-trip time](${options.chartLink})`)
  lines.push('')
  lines.push(`Measured by \`npm run bench\` on ${results.date.slice(0, 10)} (Node ${m.node}, Fastify ${m.fastify}, ${m.cores}-core machine shared with other jobs); figures, method and machine in [BENCHMARKS.md](BENCHMARKS.md).`)
  lines.push('')
  const r = results.rejected
  if (r !== undefined) {
    const summary = summarizeRejected(r)
    const mb = (/** @type {number} */ b) => b === 0 ? '0 bytes' : `${(b / 1e6).toFixed(2)} MB`
    const per = (/** @type {string} */ server) => summary.filter((s) => s.server === server).map((s) => `${mb(s.wire)} / ${(s.time / s.rttMs).toFixed(1)} RTT at ${s.rttMs} ms`).join(', ')
    const nginx = summary.some((s) => s.server === 'nginx') ? `nginx with \`client_max_body_size\`: ${per('nginx')}; ` : 'nginx: skipped in this run; '
    const plainSize = r.rows.filter((x) => x.server === 'plain' && x.case === 'size')
    const plainOthers = r.rows.filter((x) => x.server === 'plain' && x.case !== 'size')
    const kb = (/** @type {number} */ b) => `${Math.round(b / 1000)} kB`
    const sizeNote = plainSize.length > 0
      ? ` Plain Fastify's waste is the size case (its streaming parser reads up to the 1 MiB limit after Node's 100: ${plainSize.map((x) => `${mb(x.wireBytes)} at ${x.rttMs} ms`).join(', ')}); for type, token and route it answers right after the 100, and this client, which stops the moment it has a final status, ${Math.max(...plainOthers.map((x) => x.wireBytes)) === 0 ? 'sent no body byte' : `sent at most ${kb(Math.max(...plainOthers.map((x) => x.wireBytes)))}`}. Clients that do not watch for an early answer (Node's http client, many SDKs) send the whole body once they have the 100.`
      : ''
    lines.push(`- **Rejected uploads** (${r.bodySize / 1e6} MB refused for size, type, token or route, by a client that waits up to 1 s for the 100 as curl does, over a ${r.mbps} Mbit/s link with ${r.rtts.join(', ')} ms round trips; body bytes sent / time to the final status, mean of the four): fastify-expect: ${per('plugin')}; ${nginx}plain Fastify: ${per('plain')}. The limit is 0 bytes and 1 RTT.${sizeNote}`)
  }
  const o = results.overhead
  if (o !== undefined) {
    lines.push(`- **Requests without \`Expect\`** (server CPU time per request, plugin / plain: best of ${o.rounds} alternating rounds of ${o.perRound.toLocaleString('en-US')} requests, median over ${o.blocks} pairs of fresh server processes): ${o.rows.map((row) => `${row.kind} ${row.ratio.toFixed(3)}`).join(', ')}.`)
  }
  const e = results.expectation
  if (e !== undefined) {
    const parts = e.rows.map((row) => {
      const plain = row.sides.find((s) => s.mode === 'plain')
      const plugin = row.sides.find((s) => s.mode === 'plugin')
      if (plain === undefined || plugin === undefined) return ''
      return `${formatSize(row.size)}: 100 after ${plugin.latencyMedian.toFixed(0)} µs instead of ${plain.latencyMedian.toFixed(0)} µs (median), server CPU ${(plugin.cpuBest / plain.cpuBest).toFixed(2)}x`
    }).filter(Boolean)
    lines.push(`- **Accepted uploads** (the 100 goes out on the first read of the body, after routing and the route's hooks, instead of straight from Node before Fastify runs): ${parts.join('; ')}.`)
  }
  const mem = results.memory
  if (mem !== undefined) {
    const mib = (/** @type {number} */ b) => `${b >= 0 ? '+' : ''}${(b / 1048576).toFixed(1)} MiB`
    lines.push(`- **Memory** (${mem.total.toLocaleString('en-US')} mixed expectation requests, ${mem.concurrency} concurrent clients): heap ${mib(mem.heapGrowth)} and RSS ${mib(mem.rssGrowth)} from start to end (after a GC), ${mem.lateHeapBytesPerRequest.toFixed(1)} heap bytes per request over the second half${mem.problems.length === 0 ? '; every answer as expected' : ''}.`)
  }
  return lines.join('\n') + '\n'
}

module.exports = { readmeSection }
