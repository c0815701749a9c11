// @ts-check
// Starting benchmark servers (bench/server.js) as child processes and talking
// to them: their own CPU time and memory, measured inside them.
'use strict'
const { fork } = require('node:child_process')
const path = require('node:path')
const { onServerCore } = require('./affinity')

/**
 * @typedef {object} ServerChild
 * @property {string} mode
 * @property {number} port
 * @property {number} pid
 * @property {() => Promise<number>} cpu total CPU time (user + system) of the server process, microseconds
 * @property {(gc: boolean) => Promise<{ heapUsed: number, heapTotal: number, rss: number, external: number, arrayBuffers: number, gcAvailable: boolean }>} mem
 * @property {() => Promise<void>} close
 */

/**
 * @param {'plain' | 'plugin' | 'plugin-after-checks'} mode
 * @param {{ exposeGc?: boolean }} [options]
 * @returns {Promise<ServerChild>}
 */
function startServer (mode, options = {}) {
  // fork() runs `execPath ...execArgv script`: through taskset, on the servers' core.
  const [execPath, execArgv] = onServerCore(process.execPath, options.exposeGc ? ['--expose-gc'] : [])
  const child = fork(path.join(__dirname, 'server.js'), [mode], {
    execPath,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  let nextId = 1
  /** @type {Map<number, (message: any) => void>} */
  const waiting = new Map()
  /** @param {string} cmd @param {object} [extra] @returns {Promise<any>} */
  const ask = (cmd, extra = {}) => new Promise((resolve, reject) => {
    if (!child.connected) {
      reject(new Error(`server ${mode} (pid ${child.pid}) is gone`))
      return
    }
    const id = nextId++
    waiting.set(id, resolve)
    child.send({ id, cmd, ...extra })
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      for (const settle of waiting.values()) settle({})
      reject(new Error(`server ${mode} exited with code ${code}`))
    })
    child.on('message', (/** @type {any} */ message) => {
      if (message.ready === true) {
        resolve({
          mode,
          port: message.port,
          pid: /** @type {number} */ (child.pid),
          cpu: async () => {
            const { user, system } = await ask('cpu')
            return user + system
          },
          mem: (gc) => ask('mem', { gc }),
          close: async () => {
            if (!child.connected) return
            const exited = new Promise((resolve) => child.once('exit', resolve))
            await ask('close')
            await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))])
            if (child.exitCode === null) child.kill()
          }
        })
        return
      }
      const settle = waiting.get(message.id)
      if (settle) {
        waiting.delete(message.id)
        settle(message)
      }
    })
  })
}

module.exports = { startServer }
