// @ts-check
// Server processes for the bench: bench/server.js on the node binary under test
// (BENCH_NODE, default this one), optionally under valgrind's callgrind, which
// counts the instructions the process runs: repeatable whatever else the machine
// is doing, where CPU time here moves by several percent between identical runs.
'use strict'
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { onServerCore } = require('./affinity')

const NODE = process.env.BENCH_NODE || process.execPath
const OUT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-expect-bench-'))
process.on('exit', () => fs.rmSync(OUT_DIR, { recursive: true, force: true }))

/** @param {string} cmd */
function has (cmd) {
  try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); return true } catch { return false }
}
const CALLGRIND = has('valgrind') && has('callgrind_control')

/**
 * @typedef {object} Server
 * @property {number} port
 * @property {number} pid
 * @property {(cmd: 'cpu' | 'mem' | 'gc') => Promise<any>} ask
 * @property {() => Promise<boolean | undefined>} slowState whether the nextTick item literal went megamorphic (needs --allow-natives-syntax); ends the process
 * @property {() => number} instructions instructions since the previous call (callgrind only)
 * @property {() => Promise<void>} close
 */

/**
 * @param {'plain' | 'plugin'} mode
 * @param {{ callgrind?: boolean, exposeGc?: boolean, extraRoutes?: number, nodeArgs?: string[], script?: string, args?: string[] }} [options]
 * @returns {Promise<Server>}
 */
async function startServer (mode, options = {}) {
  const script = options.script ?? path.join(__dirname, 'server.js')
  const nodeArgs = [...(options.exposeGc ? ['--expose-gc'] : []), ...(options.nodeArgs ?? []), script, ...(options.args ?? [mode, String(options.extraRoutes ?? 0)])]
  const out = path.join(OUT_DIR, `cg.${Date.now()}.${Math.random().toString(36).slice(2)}`)
  const [cmd, args] = options.callgrind
    ? ['valgrind', ['--tool=callgrind', '--quiet', `--callgrind-out-file=${out}`, '--dump-line=no', '--compress-strings=no', '--instr-atstart=no', NODE, ...nodeArgs]]
    : [NODE, nodeArgs]
  // stdout to a file: what V8 prints (the probe) is lost on a non-blocking pipe.
  const stdout = fs.openSync(`${out}.stdout`, 'w')
  const child = spawn(...onServerCore(cmd, args), { stdio: ['ignore', stdout, 'inherit', 'ipc'] })
  fs.closeSync(stdout)
  /** @type {Array<(m: any) => void>} */
  const waiting = []
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${mode} exited with ${code}`)))
    child.once('message', (/** @type {any} */ m) => {
      child.on('message', (m) => waiting.shift()?.(m))
      resolve(m.port)
    })
  })
  const pid = /** @type {number} */ (child.pid)
  let dumps = 0
  return {
    port,
    pid,
    ask: (cmd) => new Promise((resolve) => { waiting.push(resolve); child.send({ cmd }) }),
    async slowState () {
      child.send({ cmd: 'probe' })
      await exited
      const slots = fs.readFileSync(`${out}.stdout`, 'utf8').split('\n').filter((l) => l.includes('DefineKeyedOwnPropertyInLiteral'))
      if (slots.length === 0) return undefined
      return slots.some((l) => l.includes('MEGAMORPHIC'))
    },
    instructions () {
      // Instrumentation starts off (start-up and warm-up run faster); the first call turns it on.
      if (dumps === 0) execFileSync('callgrind_control', ['--instr=on', String(pid)], { stdio: 'ignore' })
      // Each dump writes the counts since the previous one and zeroes them.
      execFileSync('callgrind_control', ['--dump', String(pid)], { stdio: 'ignore' })
      const file = `${out}.${++dumps}`
      const totals = /^(?:totals|summary): (\d+)/m.exec(fs.readFileSync(file, 'utf8'))
      fs.rmSync(file)
      return Number(totals?.[1])
    },
    async close () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill()
      await exited
    }
  }
}

/** Node's version string of the binary under test. */
const nodeVersion = () => execFileSync(NODE, ['-v'], { encoding: 'utf8' }).trim()

module.exports = { startServer, nodeVersion, CALLGRIND, NODE }
