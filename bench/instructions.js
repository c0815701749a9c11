// @ts-check
// Instructions per request, counted by valgrind's callgrind: on a shared, noisy
// machine the one repeatable measure of what a request costs.
//
//   npm run bench:instructions
//   (needs an idle machine: 8 processes under callgrind, the one with --routes 50000
//   routes alone starts in minutes; on a shared 2-core machine at load 25-35 the
//   processes got 2-3% of a core each and the run could not finish in an hour:
//   then --scaling 0, fewer --requests, or --only with a few --kinds). Keep the
//   warm-up: with 400 requests of each kind, V8's optimising compiler (GraphReducer,
//   Scheduler...) was still most of every window, 250,000-650,000 instructions per
//   GET against about 57,000 warm (bench/callgrind-top.js shows it).)
//   node bench/instructions.js [--node /path/to/node] [--requests 1000] [--uploads 100]
//     [--warmup 8000] [--rounds 3] [--routes 50000] [--keep DIR] [--write]
//     [--only plain|plugin [--kinds 0,3] [--extra 49995]]   (one process, those kinds: a quick look; kinds 7 and 8,
//     accepted uploads on routes with fewer rules, exist only here)
//   (--write: its section of BENCHMARKS.md, one per Node major; --keep: the callgrind
//    dumps, one per process and window, for callgrind_annotate)
//
// Three fresh server processes (bench/server.js, 10 routes, an h2c app beside),
// each under callgrind with collection off, alive together: plain Fastify (A),
// Fastify with fastify-expect (B), plain again (A2, the A/A control). Each gets
// the same warm-up of every kind, then, per round and kind, an unmeasured run of
// that kind and a window: collection on for exactly that many requests on one
// keep-alive connection (a new connection per upload for refusals), until the
// server has closed its side, then the count is dumped. A process's figure is its
// best round without V8's collections (a JIT compilation in a window only adds), plus
// the collections' instructions per request over all its rounds (gcInstructions); every round's
// ratio is printed too. The kind "GET right after expectation traffic" has no
// unmeasured run of its own: it follows expectation uploads, refusals and HTTP/2
// expectation streams, so it counts the work they leave behind.
// Beside them, the cost of one expectation upload as the app grows: plain and
// plugin processes with 10 and `--routes` routes, and the plugin with
// lingerTimeout 0 (no staged close), serving only uploads.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { load, request, upload, uploadsKeptAlive, h2Uploads } = require('./client')
const { startServer } = require('./procs')
const { TOKEN, MiB } = require('./server')
const { writeSection } = require('./sections')

const arg = (/** @type {string} */ name, /** @type {number} */ fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const option = (/** @type {string} */ name) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? undefined : process.argv[i + 1]
}
const NODE = option('node') ?? process.env.BENCH_NODE ?? process.execPath
const REQUESTS = arg('requests', 1000)
const UPLOADS = arg('uploads', 100)
// 8,000 of each kind: with 2,000 the plugin's process was still settling (its rounds fell
// 1.117, 1.087, 1.043 for the route with rules, V8 still tiering up code plain Fastify never runs).
const WARMUP = arg('warmup', 8000)
const ROUNDS = arg('rounds', 3)
const ROUTES = arg('routes', 50000)
const KEEP = option('keep')
/**
 * V8's memory reducer and bytecode flushing act on wall time: under callgrind (about 50 times
 * slower) they ran full collections every few hundred requests, flushed the code of whatever
 * kind had not run lately and sent it back through the optimising compiler, in every process
 * (plain ones too) and in no repeatable way. Off for every measured process alike. And the
 * young generation's size is fixed (8 MB semi-spaces, what these processes grew to by
 * themselves): V8 shrinks it when allocation per millisecond of wall time is low, as it is
 * under callgrind on a loaded machine, and one process of a run then scavenged ten times as
 * often as the others (12 scavenges per 1,000 requests against 1 or 2).
 */
const STEADY = ['--no-memory-reducer', '--no-flush-bytecode', '--min-semi-space-size=8', '--max-semi-space-size=8']
/** --scaling 0: only the three main processes (no uploads-only processes). */
const SCALING = arg('scaling', 1) !== 0
/** The bench app's own routes (bench/server.js); the rest of the 10 are extra routes. */
const BASE_ROUTES = 5

const json = JSON.stringify({ id: 42, name: 'sensor-7', values: [1, 2, 3] })
const body4k = Buffer.alloc(4096, 0x61)
const octet = { authorization: TOKEN, 'content-type': 'application/octet-stream' }
const GET = request('GET', '/ping', {})
const expectHead = (/** @type {string} */ url, /** @type {number} */ length) => request('PUT', url, { ...octet, 'content-length': length, expect: '100-continue' })
const REFUSED_SIZE = 2 * MiB
const acceptedHead = expectHead('/checked/a', 4096)
const refusedHead = expectHead('/checked/a', REFUSED_SIZE)

/**
 * @typedef {{ port: number, h2Port?: number, pid: number }} Target
 * @typedef {object} Kind
 * @property {string} name
 * @property {number} status the status every measured request must get
 * @property {boolean} [uploads] counted per upload (UPLOADS), not per request
 * @property {(t: Target, n: number) => Promise<Record<number, number>>} run
 * @property {(t: Target) => Promise<unknown>} [before] instead of an unmeasured run of the kind itself
 */

/** Refused uploads, each on its own connection, sent as curl does (the body on a 100). @param {Target} t @param {number} n */
async function refusals (t, n) {
  /** @type {Record<number, number>} */
  const statuses = {}
  for (let i = 0; i < n; i++) {
    // A client that waits for the 100 as long as it takes (under callgrind a refusal takes far
    // more than curl's 1 s): the body only ever follows a 100.
    const r = await upload(t.port, refusedHead, REFUSED_SIZE, { waitMs: 120000 })
    const s = r.status ?? 0
    statuses[s] = (statuses[s] ?? 0) + 1
  }
  return statuses
}

/** Expectation traffic of every sort: accepted and refused uploads (HTTP/1.1), accepted and refused streams (HTTP/2). @param {Target} t */
async function expectationTraffic (t) {
  await uploadsKeptAlive(t.port, acceptedHead, body4k, 100)
  await refusals(t, 20)
  if (t.h2Port !== undefined) {
    await h2Uploads(t.h2Port, '/checked/a', { ...octet, 'content-length': 4096 }, body4k, 50)
    await h2Uploads(t.h2Port, '/checked/a', { ...octet, 'content-type': 'text/csv', 'content-length': 4096 }, body4k, 50)
  }
}

/** @type {Kind[]} */
const KINDS = [
  { name: 'GET, route without rules', status: 200, run: (t, n) => load(t.port, GET, n, 1) },
  { name: 'small JSON POST, route without rules', status: 200, run: (t, n) => load(t.port, request('POST', '/ingest', { 'content-type': 'application/json', 'content-length': json.length }, json), n, 1) },
  { name: '4 KiB PUT, route without rules', status: 201, run: (t, n) => load(t.port, request('PUT', '/blobs/a', { ...octet, 'content-length': 4096 }, body4k.toString()), n, 1) },
  { name: '4 KiB PUT without Expect, route with every rule', status: 201, run: (t, n) => load(t.port, request('PUT', '/checked/a', { ...octet, 'content-length': 4096 }, body4k.toString()), n, 1) },
  { name: 'accepted 4 KiB expectation upload (waits for the 100), same route', status: 201, run: (t, n) => uploadsKeptAlive(t.port, acceptedHead, body4k, n) },
  { name: 'refused expectation upload (2 MiB declared, limit 1 MiB), new connection each', status: 413, uploads: true, run: refusals },
  { name: 'GET right after expectation traffic (HTTP/1.1 and HTTP/2)', status: 200, run: (t, n) => load(t.port, GET, n, 1), before: expectationTraffic }
]
/**
 * Only with --only (--kinds 7,8): the accepted upload on routes with fewer rules, to tell the way in
 * (no route hook) from the rules' hooks and the header schema (kind 4 has every rule).
 */
const PARTS_KINDS = [
  { name: 'accepted 4 KiB expectation upload, route without rules', status: 201, run: (/** @type {Target} */ t, /** @type {number} */ n) => uploadsKeptAlive(t.port, expectHead('/blobs/a', 4096), body4k, n) },
  { name: 'accepted 4 KiB expectation upload, route with bodyLimit and contentTypes only', status: 201, run: (/** @type {Target} */ t, /** @type {number} */ n) => uploadsKeptAlive(t.port, expectHead('/files/a', 4096), body4k, n) }
]
const SCALING_KINDS = KINDS.filter((k) => k.name.startsWith('accepted') || k.name.startsWith('refused'))

/** Sockets of the server still open (not yet closed by the server): established or close-wait. @param {number[]} ports */
function openSockets (ports) {
  const filter = ports.map((p) => `sport = :${p}`).join(' or ')
  const out = execFileSync('ss', ['-Htn', 'state', 'established', 'state', 'close-wait', `( ${filter} )`], { encoding: 'utf8' })
  return out.split('\n').filter((l) => l.trim() !== '').length
}

/**
 * The instructions of a dump spent in V8's stop-the-world collections (the inclusive cost of every
 * call to Heap::PerformGarbageCollection: scavenges and mark-compact pauses). A 1,000-request
 * window holds one or two scavenges (one per 600-700 requests here), 600 or 1,200 instructions per
 * request, whichever process: the best round then picked the window with one, or not, and the
 * plugin's process looked steadier or not from run to run. So the GC is counted apart: over all
 * rounds, per request. @param {string} file
 */
function gcInstructions (file) {
  /** @type {Map<string, string>} */
  const names = new Map()
  let target = false
  let sum = 0
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = /** @type {string} */ (lines[i])
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line)
    if (named !== null) {
      const [, id, name] = named
      if (name !== undefined) names.set(/** @type {string} */ (id), name)
      if (line.startsWith('cfn=')) target = (names.get(/** @type {string} */ (id)) ?? '').includes('Heap::PerformGarbageCollection')
    } else if (line.startsWith('calls=')) {
      if (target) sum += Number((lines[i + 1] ?? '').split(' ')[1] ?? 0)
      i++
    }
  }
  return sum
}

/** Polls `read` until it gives a value (60 s at most). @template T @param {() => T | undefined} read @returns {Promise<T>} */
async function until (read) {
  for (let waited = 0; waited < 60000; waited += 100) {
    const value = read()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('no answer within 60 s')
}

/**
 * One server process under callgrind: warm-up, then `rounds` rounds of windows.
 * @param {string} mode @param {{ kinds: Kind[], extraRoutes: number, http2: boolean, label: string }} setup
 * @returns {Promise<{ rounds: Record<string, number[]>, collections: Record<string, number[]>, background: Record<string, number[]>, lost: Record<string, number>, slow: boolean | undefined, version: string }>}
 */
async function measure (mode, { kinds, extraRoutes, http2, label }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-expect-callgrind-'))
  const server = await startServer(/** @type {any} */ (mode), {
    node: NODE,
    extraRoutes,
    http2,
    nodeArgs: ['--allow-natives-syntax', ...STEADY, ...(process.env.BENCH_V8_FLAGS ?? '').split(' ').filter(Boolean)],
    wrap: ['valgrind', '-q', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${dir}/out.%p`]
  })
  const ports = [server.port, ...(server.h2Port === undefined ? [] : [server.h2Port])]
  const control = (/** @type {string} */ flag) => execFileSync('callgrind_control', [flag, String(server.pid)], { stdio: 'ignore' })
  /** @type {Record<string, number[]>} */
  const rounds = {}
  /** @type {Record<string, number[]>} instructions per request on the other threads (JIT, GC helpers) */
  const background = {}
  /** @type {Record<string, number[]>} instructions per request in V8's collections on the main thread (not in `rounds`) */
  const collections = {}
  /** @type {Record<string, number>} refusals whose answer the client did not get */
  const lost = {}
  let dumps = 0
  try {
    const count = (/** @type {Kind} */ kind) => kind.uploads ? UPLOADS : REQUESTS
    const check = (/** @type {Kind} */ kind, /** @type {Record<number, number>} */ statuses, /** @type {number} */ n) => {
      if (statuses[kind.status] === n) return
      // Without the staged close (plain Fastify's own close, or the plugin's turned off), some clients
      // lose the refusal (a reset): counted, what the staged close buys.
      if ((mode === 'plugin-nolinger' || mode === 'plain') && kind.uploads) {
        lost[kind.name] = (lost[kind.name] ?? 0) + n - (statuses[kind.status] ?? 0)
        return
      }
      throw new Error(`${label} ${mode}, ${kind.name}: ${JSON.stringify(statuses)}, expected ${n}x ${kind.status}`)
    }
    for (const kind of kinds) {
      if (kind.before !== undefined) await kind.before(server)
      else check(kind, await kind.run(server, kind.uploads ? Math.ceil(WARMUP / 10) : WARMUP), kind.uploads ? Math.ceil(WARMUP / 10) : WARMUP)
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of kinds) {
        if (kind.before !== undefined) await kind.before(server)
        else await kind.run(server, Math.ceil(count(kind) / 5))
        await until(() => openSockets(ports) === 0 || undefined)
        control('--zero')
        control('--instr=on')
        const statuses = await kind.run(server, count(kind))
        // The window closes once the server has closed its side of every connection
        // (a staged close included), and a moment for the handlers that follow.
        await until(() => openSockets(ports) === 0 || undefined)
        await new Promise((resolve) => setTimeout(resolve, 200))
        control('--instr=off')
        control('--dump')
        check(kind, statuses, count(kind))
        // The dump is written when valgrind next runs the process's code: wait for its files, one per
        // thread. The figure is the main thread's (the one serving requests): V8's optimising compiler
        // and GC helpers run on other threads, whenever their work comes due (kept apart in `background`).
        const prefix = `out.${server.pid}.${++dumps}-`
        const threads = await until(() => {
          const files = fs.readdirSync(dir).filter((f) => f.startsWith(prefix))
          const totals = files.map((f) => /^totals: (\d+)/m.exec(fs.readFileSync(path.join(dir, f), 'utf8')))
          if (files.length === 0 || totals.some((m) => m === null)) return undefined
          return files.map((f, i) => ({ file: f, total: Number(/** @type {RegExpExecArray} */ (totals[i])[1]) }))
        })
        const mainThread = threads.find((t) => t.file.endsWith('-01'))
        const total = mainThread?.total ?? NaN
        const gc = mainThread === undefined ? NaN : gcInstructions(path.join(dir, mainThread.file))
        ;(collections[kind.name] ??= []).push(gc / count(kind))
        ;(background[kind.name] ??= []).push(threads.reduce((sum, t) => sum + t.total, 0) / count(kind) - total / count(kind))
        if (KEEP !== undefined) {
          fs.mkdirSync(KEEP, { recursive: true })
          for (const t of threads) fs.copyFileSync(path.join(dir, t.file), path.join(KEEP, `${label}-${mode}-r${round}-${kinds.indexOf(kind)}${t.file.slice(prefix.length - 1)}.callgrind`))
        }
        ;(rounds[kind.name] ??= []).push((total - gc) / count(kind))
      }
    }
    const slow = await server.slowState()
    return { rounds, collections, background, lost, slow, version: execFileSync(NODE, ['-v'], { encoding: 'utf8' }).trim() }
  } finally {
    await server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const fmt = (/** @type {number} */ n) => Math.round(n).toLocaleString('en')
const best = (/** @type {number[] | undefined} */ xs) => xs === undefined ? NaN : Math.min(...xs)
const mean = (/** @type {number[] | undefined} */ xs) => xs === undefined || xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
/** @typedef {{ rounds: Record<string, number[]>, collections: Record<string, number[]> }} Measured */
/** A process's figure for a kind: its best round without the GC, plus the GC per request over all rounds. @param {Measured} r @param {string} name */
const figure = (r, name) => best(r.rounds[name]) + mean(r.collections[name])
/** Each round's figure (its own instructions, the GC as over all rounds). @param {Measured} r @param {string} name */
const eachRound = (r, name) => (r.rounds[name] ?? []).map((v) => v + mean(r.collections[name]))
const state = (/** @type {boolean | undefined} */ slow) => slow === undefined ? 'unknown' : slow ? 'slow' : 'normal'

async function main () {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
  } catch {
    console.log('valgrind is not installed (apt-get install valgrind): nothing measured')
    return
  }
  const started = Date.now()
  const only = option('only')
  if (only !== undefined) {
    // One process, some kinds (--kinds 3,4): a quick look at one change, nothing written.
    const picked = (option('kinds') ?? KINDS.map((_, i) => i).join(',')).split(',').map(Number)
    const kinds = [...KINDS, ...PARTS_KINDS].filter((_, i) => picked.includes(i))
    // --extra N: that many routes besides the app's own (the scaling measurement's large app is --extra 49995).
    const r = await measure(only, { kinds, extraRoutes: arg('extra', 10 - BASE_ROUTES), http2: true, label: 'only' })
    for (const kind of kinds) console.log(`${only} | ${kind.name} | figure ${fmt(figure(r, kind.name))} | main thread without GC ${(r.rounds[kind.name] ?? []).map(fmt).join(' | ')} | GC ${(r.collections[kind.name] ?? []).map(fmt).join(' | ')} | other threads ${(r.background[kind.name] ?? []).map(fmt).join(' | ')}`)
    console.log(`${r.version}, slow state ${state(r.slow)}, ${Math.round((Date.now() - started) / 1000)} s`)
    return
  }
  const main = { kinds: KINDS, extraRoutes: 10 - BASE_ROUTES, http2: true, label: 'main' }
  const small = { kinds: SCALING_KINDS, extraRoutes: 10 - BASE_ROUTES, http2: false, label: 'routes-10' }
  const large = { kinds: SCALING_KINDS, extraRoutes: ROUTES - BASE_ROUTES, http2: false, label: `routes-${ROUTES}` }
  // All at once: callgrind counts are the same whatever runs beside them.
  const [a, b, a2, s, sp, s0, l, lp] = await Promise.all([
    measure('plain', main), measure('plugin', main), measure('plain', { ...main, label: 'main-control' }),
    ...(SCALING ? [measure('plain', small), measure('plugin', small), measure('plugin-nolinger', small)] : [undefined, undefined, undefined]),
    ...(SCALING && ROUTES > 10 ? [measure('plain', large), measure('plugin', large)] : [])
  ])
  const lines = [
    `${a.version}, ${new Date().toISOString().slice(0, 10)}: instructions per request (per upload for refusals), best of ${ROUNDS} rounds of ${REQUESTS} requests without the GC, plus the GC per request over all rounds, (${UPLOADS} refused uploads) per kind after ${WARMUP} of each kind (${Math.ceil(WARMUP / 10)} refusals); ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
    '| request | plain Fastify (A) | with fastify-expect (B) | plain again (A2) | B/A | A2/A (A/A control) | of which GC: A, B, A2 | B/A, A2/A in each round |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const { name } of KINDS) {
    const [x, y, z] = [figure(a, name), figure(b, name), figure(a2, name)]
    const [ea, eb, ea2] = [eachRound(a, name), eachRound(b, name), eachRound(a2, name)]
    const each = ea.map((v, i) => `${((eb[i] ?? NaN) / v).toFixed(3)}, ${((ea2[i] ?? NaN) / v).toFixed(3)}`).join('; ')
    const gc = [a, b, a2].map((r) => fmt(mean(r.collections[name]))).join(', ')
    lines.push(`| ${name} | ${fmt(x)} | ${fmt(y)} | ${fmt(z)} | ${(y / x).toFixed(3)} | ${(z / x).toFixed(3)} | ${gc} | ${each} |`)
  }
  lines.push('', `Slow state (V8's feedback for process.nextTick at the end, see the field notes): A ${state(a.slow)}, B ${state(b.slow)}, A2 ${state(a2.slow)}.`)
  const refusals = /** @type {Kind} */ (KINDS.find((k) => k.uploads)).name
  lines.push('', `Refusals whose answer the client lost (a reset instead of the 413), in all warm-up and measured uploads: A ${a.lost[refusals] ?? 0}, A2 ${a2.lost[refusals] ?? 0} (plain Fastify's own close); B none (every one got its 413, or the run stops).`)
  if (s === undefined || sp === undefined || s0 === undefined) return finish(lines, a.version)
  lines.push('')
  lines.push('Expectation uploads as the app grows (processes serving only these uploads; B0: the plugin with `lingerTimeout: 0`, Node\'s immediate close instead of the staged one):', '')
  lines.push('| routes | upload | plain Fastify | with fastify-expect | B/A | B0 (no staged close) | slow state: plain, plugin |', '| --- | --- | --- | --- | --- | --- | --- |')
  for (const { name } of SCALING_KINDS) {
    const short = name.startsWith('accepted') ? 'accepted, keep-alive' : 'refused 413, new connection'
    lines.push(`| 10 | ${short} | ${fmt(figure(s, name))} | ${fmt(figure(sp, name))} | ${(figure(sp, name) / figure(s, name)).toFixed(3)} | ${fmt(figure(s0, name))} | ${state(s.slow)}, ${state(sp.slow)} |`)
    if (l !== undefined && lp !== undefined) lines.push(`| ${ROUTES.toLocaleString('en')} | ${short} | ${fmt(figure(l, name))} | ${fmt(figure(lp, name))} | ${(figure(lp, name) / figure(l, name)).toFixed(3)} | - | ${state(l.slow)}, ${state(lp.slow)} (a tick item held from the start) |`)
  }
  const refusedKind = /** @type {Kind} */ (SCALING_KINDS[1]).name
  lines.push('', `Refusals whose answer the client lost (a reset instead of the 413), in all warm-up and measured uploads: B0 ${s0.lost[refusedKind] ?? 0}, plain Fastify ${s.lost[refusedKind] ?? 0}${l === undefined ? '' : ` (${ROUTES.toLocaleString('en')} routes: ${l.lost[refusedKind] ?? 0})`}; B none (every upload got its 413, or the run stops).`)
  if (l !== undefined && lp !== undefined) {
    const [accepted, refused] = /** @type {[string, string]} */ (SCALING_KINDS.map((k) => k.name))
    const x = (/** @type {any} */ big, /** @type {any} */ ten, /** @type {string} */ name) => (figure(big, name) / figure(ten, name)).toFixed(3)
    lines.push('', `Plugin, ${ROUTES.toLocaleString('en')} routes against 10: accepted ${x(lp, sp, accepted)}x, refused ${x(lp, sp, refused)}x (plain: ${x(l, s, accepted)}x, ${x(l, s, refused)}x).`)
  }
  finish(lines, a.version)
}

/** Prints the report, and writes it with --write. @param {string[]} lines @param {string} version */
function finish (lines, version) {
  console.log(lines.join('\n'))
  if (process.argv.includes('--write')) {
    const file = path.join(__dirname, '..', 'BENCHMARKS.md')
    const major = version.slice(1).split('.')[0]
    writeSection(file, `instructions-node-${major}`, `## Instructions per request (Node ${major})\n\nWritten by \`npm run bench:instructions\` (bench/instructions.js --write${NODE === process.execPath ? '' : ' --node <Node ' + major + ' binary>'}) with valgrind's callgrind: the repeatable measure on a shared machine. Three fresh server processes of bench/server.js (10 routes, an h2c app beside): plain Fastify (A), Fastify with fastify-expect (B), plain again (A2, the A/A control), each under callgrind with collection off and \`${STEADY.join(' ')}\` (V8's wall-clock housekeeping, which under callgrind recompiled code at random, and the young generation's size, which V8 shrinks when a process allocates little per millisecond of wall time), the same warm-up of every kind; then per round and kind an unmeasured run of the kind and a window of exactly the measured requests on one keep-alive connection (refusals: a new connection each, sent as curl does, the body on a 100), until the server has closed its side of every connection. Counted: the main thread, which serves the requests (V8's optimising compiler and GC helpers run on other threads, whenever their work comes due). A process's figure is its best round without V8's stop-the-world collections, plus those collections' instructions per request over all its rounds (a 1,000-request window holds one or two scavenges, 600 or 1,200 instructions per request: the best round alone picked one or the other, and was taken for a process's variance). "Route with every rule": PUT /checked/:name with bodyLimit, config.expect.contentTypes and a check, schema.body.content and schema.headers; plain Fastify applies the same bodyLimit and schemas (after the body), not config.expect. Plain Fastify answers 100 at once to the expectation uploads, and so receives the refused upload's body until its parser passes the limit. "GET right after expectation traffic": no unmeasured GETs first, but 100 accepted and 20 refused uploads and 100 HTTP/2 expectation streams (50 accepted, 50 refused 415).\n\n${lines.join('\n')}`)
  }
}

main().catch((err) => { console.error(err); process.exit(1) })
