// @ts-check
// `npm run bench`: every benchmark of fastify-expect in one run, printed as
// tables and written to BENCHMARKS.md (figures, method, machine) with the README
// chart (bench/chart.svg). BENCH_QUICK=1 (or --quick): small counts, for
// development; results then go to bench/results/ only. --report-only: write the
// report again from bench/results/results.json (the last run), measuring nothing.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { startServer } = require('./servers')
const { measureOverhead } = require('./overhead')
const { measureExpectation, warmUp } = require('./expectation')
const { measureRejected, checkAccepted } = require('./rejected')
const { measureMemory } = require('./memory')
const { findNginx, startNginx } = require('./nginx')
const { renderChart } = require('./chart')
const { buildReport, toMarkdown, toText, summarizeRejected } = require('./report')
const { readmeSection } = require('./readme-section')
const { GOALS } = require('./goals')
const { pinSelf } = require('./affinity')

const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick')

const COUNTS = QUICK
  ? {
      overhead: { blocks: 2, rounds: 2, perRound: 2000, warmup: 2000, connections: 8 },
      expectation: { rounds: 2, perRound: 20, warmup: 10 },
      rejected: { rtts: [1, 20, 80], mbps: 100, runs: 1 },
      memory: { total: 10000, warmup: 2000, concurrency: 32, samples: 5 }
    }
  : {
      overhead: { blocks: 8, rounds: 6, perRound: 8000, warmup: 8000, connections: 8 },
      expectation: { rounds: 8, perRound: 60, warmup: 50 },
      rejected: { rtts: [1, 20, 80], mbps: 100, runs: 3 },
      memory: { total: 100000, warmup: 10000, concurrency: 32, samples: 10 }
    }

/**
 * @typedef {object} Machine
 * @property {string} node
 * @property {string} cpu
 * @property {number} cores
 * @property {number} memory
 * @property {string} os
 * @property {string} fastify
 * @property {string} plugin
 * @property {string} commit the checkout the bench ran on
 * @property {string} autocannon
 * @property {string} nginx version, or why it was skipped
 * @property {string} pinning CPU affinity of the bench and the servers
 * @property {number[]} loadAverageStart
 * @property {number[]} loadAverageEnd
 */
/**
 * @typedef {object} Results
 * @property {boolean} quick
 * @property {string} date
 * @property {number} seconds
 * @property {Machine} machine
 * @property {Awaited<ReturnType<typeof measureOverhead>> | undefined} overhead
 * @property {Awaited<ReturnType<typeof measureOverhead>> | undefined} overheadControl plain against plain (A/A)
 * @property {Awaited<ReturnType<typeof measureExpectation>> | undefined} expectation
 * @property {(Awaited<ReturnType<typeof measureRejected>> & { accepted: Array<{ server: string, continueSent: boolean, status: number | undefined }>, skipped: Array<{ server: string, reason: string }>, nginxConfig: boolean }) | undefined} rejected
 * @property {Awaited<ReturnType<typeof measureMemory>> | undefined} memory
 * @property {{ status: 'absent' } | { status: 'failed', error: string } | { status: 'ok', figures: unknown }} load
 */

const log = (/** @type {string} */ line) => console.log(line)

/** The git commit of the checkout (read-only git commands), or 'unknown'. */
function checkout () {
  const git = (/** @type {string[]} */ args) => execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    const commit = git(['rev-parse', '--short', 'HEAD'])
    return git(['status', '--porcelain']) === '' ? commit : `${commit} with uncommitted changes`
  } catch {
    return 'unknown'
  }
}

/** @param {string} name */
const versionOf = (name) => /** @type {{ version: string }} */ (require(`${name}/package.json`)).version

/**
 * HOOK for bench/load.js (the 1 000-connection load test, written separately):
 * when the file exists, its `runLoad(options)` (or default export) is awaited
 * and whatever figures it returns go under "Load" in BENCHMARKS.md. Absent:
 * reported as such, nothing fails.
 * @param {{ quick: boolean, log: (line: string) => void }} options
 * @returns {Promise<Results['load']>}
 */
async function runLoadHook (options) {
  /** @type {any} */
  let mod
  // A computed name: the file may not exist (yet), and the type check must not require it.
  const loadModule = './load'
  try {
    mod = require(loadModule)
  } catch (err) {
    const e = /** @type {NodeJS.ErrnoException} */ (err)
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes("'./load'")) return { status: 'absent' }
    return { status: 'failed', error: `bench/load.js could not be loaded: ${e.message.split('\n')[0]}` }
  }
  const runLoad = typeof mod === 'function' ? mod : (mod.runLoad ?? mod.default)
  if (typeof runLoad !== 'function') return { status: 'failed', error: 'bench/load.js exports no runLoad function' }
  try {
    return { status: 'ok', figures: await runLoad(options) }
  } catch (err) {
    return { status: 'failed', error: err instanceof Error ? err.message : String(err) }
  }
}

async function main () {
  if (process.argv.includes('--report-only')) {
    // Re-render BENCHMARKS.md, the chart and the README text from the last run's figures, measuring nothing.
    write(JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'results.json'), 'utf8')))
    return
  }
  const started = performance.now()
  const loadAverageStart = os.loadavg()
  const plugin = require('..')
  if (typeof plugin !== 'function') throw new Error('require(\'..\') did not give the plugin: run `npm run build` first')
  log(`fastify-expect benchmarks${QUICK ? ' (BENCH_QUICK: small counts)' : ''}: node ${process.version}, ${os.cpus().length} cores`)

  const pinning = pinSelf()
  log(`  CPU affinity: ${pinning}`)
  const nginx = findNginx(log)
  /** @type {Machine} */
  const machine = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    fastify: versionOf('fastify'),
    plugin: JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version,
    commit: checkout(),
    autocannon: versionOf('autocannon'),
    nginx: 'skipped' in nginx ? `skipped: ${nginx.skipped}` : nginx.version,
    pinning,
    loadAverageStart,
    loadAverageEnd: []
  }

  /** @type {Results} */
  const results = { quick: QUICK, date: new Date().toISOString(), seconds: 0, machine, overhead: undefined, overheadControl: undefined, expectation: undefined, rejected: undefined, memory: undefined, load: { status: 'absent' } }

  log('\n1. Overhead on requests without an expectation')
  results.overhead = await measureOverhead({ start: (side) => startServer(side), ...COUNTS.overhead, goal: GOALS.overheadRatio, log })
  log('  A/A control: plain Fastify against plain Fastify, same method')
  results.overheadControl = await measureOverhead({ start: () => startServer('plain'), ...COUNTS.overhead, goal: GOALS.overheadRatio, label: 'plain / plain', log })

  // Each one warmed up right after its start, before the next one starts.
  const plain = await startServer('plain')
  await warmUp(plain, COUNTS.expectation.warmup)
  const withPlugin = await startServer('plugin')
  await warmUp(withPlugin, COUNTS.expectation.warmup)
  const afterChecks = await startServer('plugin-after-checks')
  await warmUp(afterChecks, COUNTS.expectation.warmup)
  try {
    log('\n2. The expectation path (accepted uploads)')
    results.expectation = await measureExpectation({ servers: [plain, withPlugin, afterChecks], ...COUNTS.expectation, log })
    await afterChecks.close()

    log('\n3. Rejected uploads over a slow link')
    const nginxServer = 'skipped' in nginx ? undefined : await startNginx(nginx.binary)
    try {
      const servers = [{ name: 'plain', port: plain.port }, { name: 'plugin', port: withPlugin.port }]
      if (nginxServer !== undefined) servers.push({ name: 'nginx', port: nginxServer.port })
      const accepted = []
      for (const s of servers) accepted.push({ server: s.name, ...(await checkAccepted(s.port, 1024 * 1024)) })
      const skipped = 'skipped' in nginx ? [{ server: 'nginx', reason: nginx.skipped }] : []
      for (const s of skipped) log(`  nginx skipped: ${s.reason}`)
      results.rejected = { ...(await measureRejected({ servers, ...COUNTS.rejected, log })), accepted, skipped, nginxConfig: nginxServer !== undefined }
    } finally {
      await nginxServer?.stop()
    }
  } finally {
    await Promise.all([plain.close(), withPlugin.close(), afterChecks.close()])
  }

  log('\n4. Memory and stability')
  const memoryServer = await startServer('plugin', { exposeGc: true })
  try {
    results.memory = await measureMemory({ server: memoryServer, ...COUNTS.memory, log })
  } finally {
    await memoryServer.close()
  }

  log('\nLoad (bench/load.js)')
  results.load = await runLoadHook({ quick: QUICK, log })
  const loadResult = results.load
  if (loadResult.status === 'absent') log('  bench/load.js not present: skipped (hook in bench/run.js)')
  else if (loadResult.status === 'failed') log(`  failed: ${loadResult.error}`)
  else log(`  ${JSON.stringify(loadResult.figures)}`)

  machine.loadAverageEnd = os.loadavg()
  results.seconds = (performance.now() - started) / 1000
  write(results)
}

/** @param {Results} results */
function write (results) {
  const QUICK = results.quick
  const root = path.join(__dirname, '..')
  const out = path.join(__dirname, 'results')
  fs.mkdirSync(out, { recursive: true })
  const chartFile = QUICK ? path.join(out, 'chart.quick.svg') : path.join(__dirname, 'chart.svg')
  const benchmarksFile = QUICK ? path.join(out, 'BENCHMARKS.quick.md') : path.join(root, 'BENCHMARKS.md')
  if (results.rejected !== undefined) {
    const summary = summarizeRejected(results.rejected)
    const line = (/** @type {string} */ server) => {
      const points = summary.filter((s) => s.server === server).map((s) => ({ rttMs: s.rttMs, bytes: s.wire }))
      return points.length > 0 ? points : undefined
    }
    const zero = (/** @type {string} */ server) => line(server)?.every((p) => p.bytes === 0) ? 'no body byte at any RTT' : undefined
    const nginxSkipped = results.rejected.skipped.find((s) => s.server === 'nginx')
    fs.writeFileSync(chartFile, renderChart({
      title: 'Body bytes sent per rejected upload',
      subtitle: `${results.rejected.bodySize / 1e6} MB uploads refused (size, type, auth, route; mean), ${results.rejected.mbps} Mbit/s, curl-like client`,
      series: [
        { name: 'plain Fastify', color: '#d62728', marker: 'circle', points: line('plain'), note: zero('plain') },
        { name: 'nginx', color: '#1f77b4', dash: '9 6', marker: 'square', points: line('nginx'), note: nginxSkipped ? 'skipped in this run' : zero('nginx') },
        { name: 'fastify-expect', color: '#2ca02c', marker: 'diamond', points: line('plugin'), note: zero('plugin') }
      ]
    }))
  }
  const chartLink = path.relative(path.dirname(benchmarksFile), chartFile).split(path.sep).join('/')
  const doc = buildReport(results, { chartLink })
  fs.writeFileSync(benchmarksFile, toMarkdown(doc))
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 2))
  fs.writeFileSync(path.join(out, QUICK ? 'readme-section.quick.md' : 'readme-section.md'), readmeSection(results, { chartLink: path.relative(root, chartFile).split(path.sep).join('/') }))
  console.log('\n' + toText(doc))
  console.log(`Wrote ${path.relative(root, benchmarksFile)}, ${path.relative(root, chartFile)} and bench/results/ in ${results.seconds.toFixed(0)} s.`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
