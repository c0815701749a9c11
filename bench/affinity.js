// @ts-check
// CPU affinity, so that the load generator and the server under test each keep
// a core of their own for the whole run (Linux taskset; skipped where it is
// missing, on a single core, or with BENCH_NO_PIN=1). Without it the kernel
// places the servers and the load generator as it likes, differently for each
// process, which only adds to the noise of comparing two servers.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')

const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => fs.existsSync(p))

/** Core of the bench process (load generators, client, proxy) and core of the servers. */
const CLIENT_CPU = 0
const SERVER_CPU = 1

/** @returns {string | undefined} why pinning is off, or undefined when it is on */
function pinningOff () {
  if (process.env.BENCH_NO_PIN) return 'BENCH_NO_PIN is set'
  if (process.platform !== 'linux') return 'not Linux'
  if (TASKSET === undefined) return 'taskset is not installed'
  if (os.cpus().length < 2) return 'a single core'
  return undefined
}

/** Pins this process to the client core; returns a description of the setup. */
function pinSelf () {
  const off = pinningOff()
  if (off !== undefined) return `not pinned (${off})`
  try {
    execFileSync(/** @type {string} */ (TASKSET), ['-p', '-c', String(CLIENT_CPU), String(process.pid)], { stdio: 'ignore' })
    return `load generator and clients on core ${CLIENT_CPU}, servers (Node and nginx) on core ${SERVER_CPU} (taskset)`
  } catch (err) {
    return `not pinned (taskset failed: ${/** @type {Error} */ (err).message.split('\n')[0]})`
  }
}

/**
 * The command line that runs `command args` on the server core (unchanged when pinning is off).
 * @param {string} command
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
function onServerCore (command, args) {
  if (pinningOff() !== undefined) return [command, args]
  const taskset = /** @type {string} */ (TASKSET)
  return [taskset, ['-c', String(SERVER_CPU), command, ...args]]
}

module.exports = { pinSelf, onServerCore }
