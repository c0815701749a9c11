// @ts-check
// Instructions per request without Expect, counted by valgrind's callgrind: on
// a shared, noisy machine the one repeatable measure of "costs nothing".
//
//   npm run bench:instructions            (about 5 minutes here)
//   node bench/instructions.js [--requests 1000] [--warmup 2000] [--rounds 3] [--write]
//   (--write: its section of BENCHMARKS.md, one per Node major)
//
// Three fresh server processes (bench/server.js), each under callgrind with
// collection off: plain Fastify (A), Fastify with fastify-expect (B), plain again
// (A2, the A/A control). Each gets the same warm-up of every kind, then, per kind,
// collection is switched on for exactly `requests` requests and the count dumped,
// `rounds` times; a process's figure is its best round.
// Prints a Markdown table: instructions per request and the ratios B/A and A2/A.
'use strict'
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { load } = require('./client')
const { KINDS } = require('./overhead')
const { writeSection } = require('./sections')

const arg = (/** @type {string} */ name, /** @type {number} */ fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const REQUESTS = arg('requests', 1000)
const WARMUP = arg('warmup', 2000)
const ROUNDS = arg('rounds', 3)
const BOUND_MS = 10 * 60 * 1000

/** @param {'plain' | 'plugin'} mode */
async function measure (mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-expect-callgrind-'))
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${dir}/out.%p`,
    process.execPath, path.join(__dirname, 'server.js'), mode], { stdio: ['ignore', 'pipe', 'pipe'] })
  const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS)
  try {
    const port = await new Promise((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
        const match = /\{"port":(\d+)\}/.exec(out)
        if (match !== null) resolve(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`${mode} server exited (${code})`)))
    })
    for (const kind of KINDS) await load(port, kind.req, WARMUP, 1)
    /** @type {Record<string, number>} */
    const perRequest = {}
    let dumps = 0
    const control = (/** @type {string} */ flag) => execFileSync('callgrind_control', [flag, String(child.pid)], { stdio: 'ignore' })
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        control('--zero')
        control('--instr=on')
        await load(port, kind.req, REQUESTS, 1)
        control('--instr=off')
        control('--dump')
        // The dump is written when valgrind next runs the process's code: wait for its file.
        const file = path.join(dir, `out.${child.pid}.${++dumps}`)
        const total = await until(() => {
          const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
          const match = /^totals: (\d+)/m.exec(text)
          return match === null ? undefined : Number(match[1])
        })
        // The best round: a GC or a JIT compilation in a window only adds instructions.
        perRequest[kind.name] = Math.min(perRequest[kind.name] ?? Infinity, total / REQUESTS)
      }
    }
    return perRequest
  } finally {
    clearTimeout(timer)
    child.kill('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Polls `read` until it gives a value (30 s at most). @template T @param {() => T | undefined} read @returns {Promise<T>} */
async function until (read) {
  for (let waited = 0; waited < 30000; waited += 100) {
    const value = read()
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('callgrind wrote no dump within 30 s')
}

async function main () {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
  } catch {
    console.log('valgrind is not installed (apt-get install valgrind): nothing measured')
    return
  }
  const started = Date.now()
  const a = await measure('plain')
  const b = await measure('plugin')
  const a2 = await measure('plain')
  const fmt = (/** @type {number} */ n) => Math.round(n).toLocaleString('en')
  const lines = [
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}: best of ${ROUNDS} rounds of ${REQUESTS} requests per kind after ${WARMUP} of each kind, one connection (${Math.round((Date.now() - started) / 1000)} s).`,
    '',
    '| request | plain Fastify (A) | with fastify-expect (B) | plain again (A2) | B/A | A2/A (A/A control) |',
    '| --- | --- | --- | --- | --- | --- |'
  ]
  for (const { name } of KINDS) {
    const [x, y, z] = [a[name] ?? NaN, b[name] ?? NaN, a2[name] ?? NaN]
    lines.push(`| ${name} | ${fmt(x)} | ${fmt(y)} | ${fmt(z)} | ${(y / x).toFixed(3)} | ${(z / x).toFixed(3)} |`)
  }
  console.log(lines.join('\n'))
  if (process.argv.includes('--write')) {
    const file = path.join(__dirname, '..', 'BENCHMARKS.md')
    const major = process.versions.node.split('.')[0]
    writeSection(file, `instructions-node-${major}`, `## Instructions per request without Expect (Node ${major})\n\nWritten by \`npm run bench:instructions\` (bench/instructions.js --write) with valgrind's callgrind: the repeatable measure on a shared machine. Three fresh server processes of bench/server.js (plain Fastify, Fastify with fastify-expect, plain again as the A/A control), each under callgrind with collection off; the same warm-up, then collection on for exactly the measured requests; a process's figure is its best round (a GC or a JIT compilation in a window only adds).\n\n${lines.join('\n')}`)
  }
}

main().catch((err) => { console.error(err); process.exit(1) })
