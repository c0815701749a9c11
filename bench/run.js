// @ts-check
// `npm run bench`: measures, prints tables, writes BENCHMARKS.md from this run.
//   BENCH_NODE=/path/to/node   run the servers on another Node binary
//   BENCH_QUICK=1              small counts, prints only (writes nothing)
//   BENCH_OUT=file.md          where to write the report (default BENCHMARKS.md)
//   BENCH_PARTS=overhead,routes,refused,memory   a subset
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pinSelf } = require('./affinity')
const { nodeVersion, NODE } = require('./procs')
const { measureOverhead, KINDS } = require('./overhead')
const { measureRoutes } = require('./routes')
const { measureRefused, SIZE } = require('./refused')
const { measureMemory } = require('./memory')
const { median, slope } = require('./stats')
const { table, fmt, ratio, mib } = require('./table')

const QUICK = process.env.BENCH_QUICK === '1'
const PARTS = (process.env.BENCH_PARTS ?? 'overhead,routes,refused,memory').split(',')
const OUT = process.env.BENCH_OUT ?? path.join(__dirname, '..', 'BENCHMARKS.md')
const { sectionsOf } = require('./sections')
const C = QUICK
  ? { overhead: { groups: 1, warmup: 1000, rounds: 2, perRound: 1000 }, routes: { sizes: [10, 1000], warmup: 5, rounds: 2, perRound: 20, budgetMs: 5000 }, refused: { runs: 1 }, memory: { batches: 2, perBatch: 200, concurrency: 8 } }
  : { overhead: { groups: 3, warmup: 800, rounds: 5, perRound: 400 }, routes: { sizes: [10, 1000, 10000, 50000], warmup: 10, rounds: 3, perRound: 40, budgetMs: 8000 }, refused: { runs: 3 }, memory: { batches: 3, perBatch: 600, concurrency: 16 } }

const started = Date.now()
/** @type {string[]} */
const md = []
const say = (/** @type {string} */ text) => { md.push(text, ''); console.log(text + '\n') }

/** @param {string[]} args */
const git = (args) => { try { return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() } catch { return 'unknown' } }
const version = (/** @type {string} */ pkg) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version

async function overheadPart () {
  say('## 1. Overhead on requests without `Expect`')
  say(`Each group is three server processes started fresh (bench/server.js): plain Fastify (A), Fastify with fastify-expect registered (B) and plain Fastify again (A2, the A/A control), alive together. The measured routes declare no rule (where the plugin should cost nothing): a GET route, a JSON POST route with a body schema, and a streamed PUT route behind an auth hook; the app also has a route with \`config.expect\` rules and its own body limit, which takes the expectation uploads of sections 2 to 4. Each process gets ${fmt(C.overhead.warmup)} warm-up requests of each kind right after it starts, then ${C.overhead.rounds} rounds of ${fmt(C.overhead.perRound)} requests of each kind, the three processes taking turns; a round's figure is the server's own CPU time (process.cpuUsage(), user + system) over its request count, and a process's figure is its best round (noise on this shared machine only adds time). The ratios are per group, B/A and A2/A; the table gives their median and range over ${C.overhead.groups} groups per regime. Regime "after a full GC": after the warm-up each process runs gc() from a macrotask (no tick item queued, as an idle server's major GC), then a shorter warm-up. Slow state: after its rounds each process prints V8's feedback for \`process.nextTick\` (--allow-natives-syntax, %DebugPrint); the process is counted slow when a DefineKeyedOwnPropertyInLiteral slot of the queued item's literal is MEGAMORPHIC. CPU time is used for the ratios: counting instructions under callgrind would be repeatable but takes far longer per process than this run can afford (bench/slow-state/repro.js --callgrind does it for a plain http server).`)
  const rows = []
  /** @type {Record<string, any>} */
  const raw = {}
  for (const regime of /** @type {const} */ (['fresh', 'gc'])) {
    const groups = await measureOverhead({ regime, ...C.overhead })
    raw[regime] = groups
    const slow = (/** @type {'A' | 'B' | 'A2'} */ n) => `${groups.filter((g) => g[n].slow).length}/${groups.length}`
    for (const kind of KINDS) {
      const cpu = (/** @type {any} */ g, /** @type {'A' | 'B' | 'A2'} */ n) => /** @type {number} */ (g[n].cpu[kind.name])
      const b = groups.map((g) => cpu(g, 'B') / cpu(g, 'A'))
      const aa = groups.map((g) => cpu(g, 'A2') / cpu(g, 'A'))
      const same = groups.filter((g) => g.A.slow === g.B.slow).map((g) => cpu(g, 'B') / cpu(g, 'A'))
      rows.push([regime === 'fresh' ? 'fresh' : 'after a full GC', kind.name,
        `${fmt(median(groups.map((g) => cpu(g, 'A'))), 1)} / ${fmt(median(groups.map((g) => cpu(g, 'B'))), 1)}`,
        ratio(b), ratio(aa), same.length ? `${fmt(median(same), 3)} (${same.length})` : '-',
        `${slow('A')} / ${slow('B')} / ${slow('A2')}`])
    }
  }
  say(table(['regime', 'request', 'µs CPU per request, median A / B', 'B/A median (range)', 'A/A control A2/A (range)', 'B/A, groups with A and B in the same state (n)', 'slow state A / B / A2'], rows))
  return raw
}

async function routesPart () {
  say('## 2. Cost of an expectation request as routes grow')
  say(`One server process per app size, the bench app plus extra GET and POST routes, each of which gets one request first (as in an app that has been serving). Each upload is a new connection sending \`Expect: 100-continue\` to the PUT route: accepted (the 100, then a 1 KiB body, 201) or refused from its declared length (413, no 100). After ${C.routes.warmup} warm-up uploads of each kind, up to ${C.routes.rounds} rounds of ${C.routes.perRound} of each (fewer when a size has used ${C.routes.budgetMs / 1000} s, at least one; the rounds column says how many ran); the figure is the server's own CPU time per upload in its best round. Plain Fastify (Node writes the 100 itself) is measured on accepted uploads at the smallest size for reference.`)
  const sizes = C.routes.sizes
  const results = [
    ...await measureRoutes({ ...C.routes, sizes: sizes.slice(0, 1), modes: ['plugin', 'plain'] }),
    ...await measureRoutes({ ...C.routes, sizes: sizes.slice(1), modes: ['plugin'] })
  ]
  const base = results.find((r) => r.mode === 'plugin' && r.routes === sizes[0])
  const rows = results.map((r) => {
    const cell = (/** @type {string} */ k) => {
      const us = r.cpu[k]
      if (us === undefined) return '-'
      return fmt(us, 0) + (r.mode === 'plugin' && base ? ` (${fmt(us / (base.cpu[k] ?? NaN), 2)}x)` : '')
    }
    return [fmt(r.routes), r.mode === 'plugin' ? 'fastify-expect' : 'plain Fastify', String(r.rounds), cell('accepted'), cell('refused')]
  })
  say(table(['routes', 'server', 'rounds', 'accepted: µs CPU per upload (x the smallest app)', 'refused 413: µs CPU per upload (x the smallest app)'], rows))
  return results
}

async function refusedPart () {
  say('## 3. Refused uploads: bytes sent and time to the answer')
  const { results, nginx } = await measureRefused(C.refused)
  say(`A client uploads ${fmt(SIZE / 1e6)} MB to the PUT route the way curl does: \`Expect: 100-continue\`, the body on the 100 or after 1 s without an answer, in 64 KiB writes, stopping at the final status. "Sent" counts the bytes the kernel accepted from the client before the answer; "time" runs from the connection to the final status. Each case ${C.refused.runs} times after one uncounted upload, at loopback (no added latency: over a real network the bytes sent by a client that got a 100 grow with bandwidth x round trip). nginx: ${nginx}, \`client_max_body_size 1m\` and \`return 401\` / \`return 415\` from \`if\` rules.`)
  const rows = []
  for (const expected of [413, 401, 415]) {
    for (const server of [...new Set(results.map((r) => r.server))]) {
      const rs = results.filter((r) => r.server === server && r.expected === expected)
      const seen = Object.entries(rs.reduce((/** @type {Record<string, number>} */ acc, r) => { const k = String(r.status ?? r.error); acc[k] = (acc[k] ?? 0) + 1; return acc }, {})).map(([k, n]) => `${n}x ${k}`).join(', ')
      rows.push([String(expected), server, seen, rs.some((r) => r.continued) ? 'yes' : 'no', fmt(median(rs.map((r) => r.bytesSent)) / 1e6, 2), fmt(median(rs.map((r) => r.ms)), 1)])
    }
  }
  say(table(['refusal', 'server', 'answers seen', '100 sent', 'MB sent (median)', 'ms to the final status (median)'], rows))
  return results
}

async function memoryPart () {
  say('## 4. Memory under refused uploads')
  say(`One server process per side, started with --expose-gc. Refused expectation uploads (413 from the declared length, each on its own connection, ${C.memory.concurrency} at a time) in ${C.memory.batches + 1} batches of ${fmt(C.memory.perBatch)}; after each batch the server runs a full GC and reports process.memoryUsage(). The first batch is not counted (start-up allocations); the slope is a least-squares fit of heapUsed over the requests that follow.`)
  const results = await measureMemory({ modes: ['plugin', 'plain'], ...C.memory })
  const rows = results.map((r) => {
    const s = r.samples
    const first = /** @type {typeof s[number]} */ (s[0])
    const last = /** @type {typeof s[number]} */ (s[s.length - 1])
    return [r.mode === 'plugin' ? 'fastify-expect' : 'plain Fastify', Object.entries(r.statuses).map(([k, n]) => `${fmt(n)}x ${k}`).join(', '),
      `${mib(first.heapUsed)} -> ${mib(last.heapUsed)}`, `${mib(first.rss)} -> ${mib(last.rss)}`,
      fmt(slope(s.map((x) => x.requests), s.map((x) => x.heapUsed)), 1)]
  })
  say(table(['server', 'answers', 'heapUsed MiB, after the first batch -> end', 'RSS MiB', 'heap bytes per request (slope)'], rows))
  return results
}

async function main () {
  const pinning = pinSelf()
  const load0 = os.loadavg()
  /** @type {Record<string, Function>} */
  const parts = { overhead: overheadPart, routes: routesPart, refused: refusedPart, memory: memoryPart }
  /** @type {Record<string, unknown>} */
  const raw = {}
  const header = md.length
  for (const name of PARTS) {
    const part = parts[name]
    if (part === undefined) throw new Error(`unknown part ${name}: one of ${Object.keys(parts).join(', ')}`)
    raw[name] = await part()
  }
  const seconds = (Date.now() - started) / 1000
  const load1 = os.loadavg()
  md.splice(header, 0, '# Benchmarks', '',
    `Written by \`npm run bench\` (bench/run.js) from its own run on ${new Date().toISOString()}, in ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s. The next run rewrites this file; every figure below comes from that run.`, '',
    table(['', ''], [
      ['Node.js (servers)', `${nodeVersion()} (${NODE === process.execPath ? 'the node running the bench' : 'BENCH_NODE'})`],
      ['Fastify', version('fastify')],
      ['fastify-expect', `${version('..')}, commit ${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--', 'plugin']) ? ' with uncommitted changes' : ''}`],
      ['CPU', `${os.cpus()[0]?.model}, ${os.cpus().length} cores`],
      ['CPU affinity', pinning],
      ['load average (1, 5, 15 min)', `${load0.map((x) => x.toFixed(2)).join(', ')} at the start, ${load1.map((x) => x.toFixed(2)).join(', ')} at the end`]
    ]), '',
    'The machine is shared: other jobs ran during the run (see the load average). CPU time is read inside each server process, so other processes add to it only through the caches and the CPU they share; comparisons are made between processes measured in the same minutes.', '')
  console.log(`done in ${seconds.toFixed(0)} s`)
  if (QUICK) return
  // The sections other scripts wrote (instructions, soak) stay, after this report.
  const kept = [...sectionsOf(OUT).values()]
  fs.writeFileSync(OUT, [md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd(), ...kept].join('\n\n') + '\n')
  fs.writeFileSync(path.join(os.tmpdir(), 'fastify-expect-bench.json'), JSON.stringify(raw, null, 1))
  console.log(`wrote ${OUT} (raw figures: ${path.join(os.tmpdir(), 'fastify-expect-bench.json')})`)
}

main().catch((err) => { console.error(err); process.exit(1) })
