// @ts-check
// Standalone reproduction (plain Node http, no Fastify, no plugin): a full GC
// that runs while no process.nextTick item is queued leaves the nextTick item
// literal's feedback MEGAMORPHIC, and every later tick item (the stream write
// callback `onwrite` queues them on every response) is built through the runtime.
//
//   node bench/slow-state/repro.js [--runs 10] [--gcs 3] [--node /path/to/node] [--callgrind]
//
// Per variant, `runs` fresh server processes, each: 2,000 warm-up GETs,
//   none:  nothing more;
//   gc:    gc() 3 times (--gcs N) from a setImmediate callback (no tick item queued);
//   hold:  one tick item kept alive from start (async_hooks.executionAsyncResource()
//          inside a nextTick callback), then the same gc();
// then 2,000 more GETs, the server's CPU time over 5,000 GETs, and V8's feedback
// for process.nextTick (--allow-natives-syntax). --callgrind: one process per
// variant under valgrind's callgrind, instructions per GET over 1,000 GETs.
'use strict'
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

if (process.argv[2] === 'server') {
  if (process.argv[3] === 'hold') {
    process.nextTick(() => { /** @type {any} */ (globalThis).held = require('node:async_hooks').executionAsyncResource() })
  }
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end('{"pong":true}')
  })
  server.listen(0, '127.0.0.1', () => process.send?.({ port: /** @type {net.AddressInfo} */ (server.address()).port }))
  process.on('message', (/** @type {{ cmd: string }} */ { cmd }) => {
    if (cmd === 'gc') {
      // V8 keeps an unused object layout through a couple of full GCs before it frees it.
      const gc = /** @type {() => void} */ (/** @type {any} */ (globalThis).gc)
      setImmediate(() => { for (let i = 0; i < Number(process.argv[4]); i++) gc(); process.send?.({}) })
    } else if (cmd === 'cpu') process.send?.(process.cpuUsage())
    else if (cmd === 'probe') { new Function('%DebugPrint(process.nextTick)')(); process.exit(0) } // eslint-disable-line no-new-func
  })
  process.on('disconnect', () => process.exit(0))
} else {
  main().catch((err) => { console.error(err); process.exit(1) })
}

/** `count` GETs over 4 keep-alive connections, one at a time on each. @param {number} port @param {number} count */
async function load (port, count) {
  let left = count
  const req = 'GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n'
  await Promise.all([0, 1, 2, 3].map(() => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setTimeout(30000, () => socket.destroy(new Error('timeout')))
    let buf = ''
    const next = () => { if (left-- > 0) socket.write(req); else socket.end(() => resolve(undefined)) }
    socket.on('connect', next).on('error', reject).on('data', (d) => {
      buf += d.toString('latin1')
      // Each response ends with its 13-byte body.
      for (let i = buf.indexOf('{"pong":true}'); i >= 0; i = buf.indexOf('{"pong":true}')) { buf = buf.slice(i + 13); next() }
    })
  })))
}

/** @param {string} node @param {string} variant @param {boolean} callgrind @param {number} gcs */
async function run (node, variant, callgrind, gcs) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'slow-state-')), 'out')
  const args = ['--expose-gc', '--allow-natives-syntax', __filename, 'server', variant, String(gcs)]
  const stdout = fs.openSync(`${out}.stdout`, 'w') // a file: V8's print is lost on a non-blocking pipe
  const child = callgrind
    ? spawn('valgrind', ['--tool=callgrind', '--quiet', '--instr-atstart=no', `--callgrind-out-file=${out}`, node, ...args], { stdio: ['ignore', stdout, 'inherit', 'ipc'] })
    : spawn(node, args, { stdio: ['ignore', stdout, 'inherit', 'ipc'] })
  fs.closeSync(stdout)
  /** @type {Array<(m: any) => void>} */
  const waiting = []
  const port = await new Promise((resolve) => child.once('message', (/** @type {any} */ m) => { child.on('message', (m) => waiting.shift()?.(m)); resolve(m.port) }))
  const ask = (/** @type {string} */ cmd) => new Promise((resolve) => { waiting.push(resolve); child.send({ cmd }) })
  await load(port, 2000)
  if (variant !== 'none') await ask('gc')
  await load(port, 2000)
  let perGet
  if (callgrind) {
    const control = (/** @type {string} */ arg) => execFileSync('callgrind_control', [arg, String(child.pid)], { stdio: 'ignore' })
    control('--instr=on')
    control('--dump') // zeroes the counters
    await load(port, 1000)
    control('--dump')
    perGet = Number(/^(?:totals|summary): (\d+)/m.exec(fs.readFileSync(`${out}.2`, 'utf8'))?.[1]) / 1000
  } else {
    const a = /** @type {NodeJS.CpuUsage} */ (await ask('cpu'))
    await load(port, 5000)
    const b = /** @type {NodeJS.CpuUsage} */ (await ask('cpu'))
    perGet = (b.user + b.system - a.user - a.system) / 5000
  }
  const closed = new Promise((resolve) => child.once('close', resolve))
  child.send({ cmd: 'probe' })
  await closed
  const slots = fs.readFileSync(`${out}.stdout`, 'utf8').split('\n').filter((l) => l.includes('DefineKeyedOwnPropertyInLiteral'))
  fs.rmSync(path.dirname(out), { recursive: true, force: true })
  return { perGet, slow: slots.some((l) => l.includes('MEGAMORPHIC')), slots: slots.length }
}

async function main () {
  const arg = (/** @type {string} */ name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
  const node = arg('--node') ?? process.execPath
  const callgrind = process.argv.includes('--callgrind')
  const runs = callgrind ? 1 : Number(arg('--runs') ?? 10)
  const gcs = Number(arg('--gcs') ?? 3)
  console.log(`${execFileSync(node, ['-v'], { encoding: 'utf8' }).trim()}, ${runs} process(es) per variant, ${gcs} gc() calls, ${callgrind ? 'instructions' : 'µs of CPU'} per GET`)
  console.log('| variant | slow (feedback MEGAMORPHIC) | per GET, fast processes (median) | per GET, slow processes (median) |\n| --- | --- | --- | --- |')
  const median = (/** @type {number[]} */ v) => v.length ? [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] ?? NaN : NaN
  for (const variant of ['none', 'gc', 'hold']) {
    /** @type {Array<{ perGet: number, slow: boolean, slots: number }>} */
    const results = []
    for (let i = 0; i < runs; i++) results.push(await run(node, variant, callgrind, gcs))
    const fig = (/** @type {boolean} */ slow) => {
      const v = results.filter((r) => r.slow === slow).map((r) => r.perGet)
      return v.length ? `${median(v).toFixed(callgrind ? 0 : 2)} (${v.length})` : '-'
    }
    const noSlots = results.some((r) => r.slots === 0) ? ' (no DefineKeyedOwnPropertyInLiteral slot printed)' : ''
    console.log(`| ${variant} | ${results.filter((r) => r.slow).length}/${runs}${noSlots} | ${fig(false)} | ${fig(true)} |`)
  }
}
