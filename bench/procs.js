// @ts-check
// Server processes for the bench: bench/server.js on the node binary under test
// (BENCH_NODE, default the one running the bench), pinned to the servers' core.
'use strict'
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { onServerCore } = require('./affinity')

const NODE = process.env.BENCH_NODE || process.execPath
const OUT_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-expect-bench-'))
process.on('exit', () => fs.rmSync(OUT_DIR, { recursive: true, force: true }))
let started = 0

/**
 * @typedef {object} Server
 * @property {number} port
 * @property {number | undefined} h2Port the h2c app's port (option http2)
 * @property {number} pid the server process (under `wrap`, the wrapper's, which runs it in place)
 * @property {(cmd: 'cpu' | 'mem' | 'gc') => Promise<any>} ask
 * @property {() => Promise<boolean | undefined>} slowState whether the nextTick item literal went
 *   megamorphic (needs --allow-natives-syntax; undefined if V8 printed no such slot); ends the process
 * @property {() => Promise<void>} close
 */

/**
 * @param {'plain' | 'plugin' | 'plugin-nolinger'} mode
 * @param {{ exposeGc?: boolean, extraRoutes?: number, nodeArgs?: string[], http2?: boolean, wrap?: string[], node?: string }} [options]
 *   wrap: a command line the node command runs under (valgrind ...); node: the binary (default NODE)
 * @returns {Promise<Server>}
 */
async function startServer (mode, options = {}) {
  const args = [...(options.exposeGc ? ['--expose-gc'] : []), ...(options.nodeArgs ?? []), path.join(__dirname, 'server.js'), mode, String(options.extraRoutes ?? 0), ...(options.http2 ? ['h2'] : [])]
  const [command, commandArgs] = options.wrap === undefined ? [options.node ?? NODE, args] : [String(options.wrap[0]), [...options.wrap.slice(1), options.node ?? NODE, ...args]]
  // stdout to a file: what V8 prints (the probe) is lost on a non-blocking pipe.
  const out = path.join(OUT_DIR, `server-${++started}.stdout`)
  const stdout = fs.openSync(out, 'w')
  // Under a wrapper (callgrind counts instructions, whatever the core) the processes are not pinned: several share the machine.
  /** @type {[string, string[]]} */
  const line = options.wrap === undefined ? onServerCore(command, commandArgs) : [command, commandArgs]
  const child = spawn(line[0], line[1], { stdio: ['ignore', stdout, 'inherit', 'ipc'] })
  fs.closeSync(stdout)
  /** @type {Array<(m: any) => void>} */
  const waiting = []
  const closed = new Promise((resolve) => child.once('close', resolve))
  const { port, h2Port } = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${mode} exited with ${code}`)))
    child.once('message', (/** @type {any} */ m) => {
      child.on('message', (m) => waiting.shift()?.(m))
      resolve(m)
    })
  })
  return {
    port,
    h2Port,
    pid: /** @type {number} */ (child.pid),
    ask: (cmd) => new Promise((resolve) => { waiting.push(resolve); child.send({ cmd }) }),
    async slowState () {
      child.send({ cmd: 'probe' })
      await closed
      const slots = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('DefineKeyedOwnPropertyInLiteral'))
      return slots.length === 0 ? undefined : slots.some((l) => l.includes('MEGAMORPHIC'))
    },
    async close () {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      await closed
    }
  }
}

/** Node's version string of the binary under test. */
const nodeVersion = () => execFileSync(NODE, ['-v'], { encoding: 'utf8' }).trim()

module.exports = { startServer, nodeVersion, NODE }
