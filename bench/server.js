// @ts-check
// A benchmark server, run in its own process (forked by servers.js) so that its
// CPU time and memory can be read from inside it with process.cpuUsage() and
// process.memoryUsage(). It is the example upload app (examples/upload-app.js),
// plain or with fastify-expect, plus a GET route for the overhead figures.
//
//   node bench/server.js plain|plugin|plugin-after-checks
//
// It prints nothing; it answers the parent's messages:
//   { id, cmd: 'cpu' }            -> { id, user, system } (microseconds, process.cpuUsage())
//   { id, cmd: 'mem', gc: bool }  -> { id, heapUsed, heapTotal, rss, external, arrayBuffers } (after a full GC if asked and --expose-gc)
//   { id, cmd: 'close' }          -> { id } then exits
'use strict'
const { buildUploadApp } = require('../examples/upload-app')

const MODES = ['plain', 'plugin', 'plugin-after-checks']

async function main () {
  const mode = process.argv[2] ?? 'plugin'
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}: one of ${MODES.join(', ')}`)
  const app = buildUploadApp({
    expect: mode !== 'plain',
    expectOptions: mode === 'plugin-after-checks' ? { sendContinue: 'after-checks' } : {}
  })
  // The smallest route: no hooks, no body.
  app.get('/ping', async function ping () {
    return { pong: true }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = /** @type {import('node:net').AddressInfo} */ (app.server.address())

  const send = (/** @type {object} */ message) => { if (process.send) process.send(message) }
  process.on('message', async (/** @type {{ id: number, cmd: string, gc?: boolean }} */ message) => {
    const { id, cmd } = message
    if (cmd === 'cpu') {
      send({ id, ...process.cpuUsage() })
    } else if (cmd === 'mem') {
      const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc
      if (message.gc === true && gc !== undefined) {
        // Twice: the first pass can leave objects whose finalizers free more.
        gc()
        await new Promise((resolve) => setImmediate(resolve))
        gc()
      }
      const { heapUsed, heapTotal, rss, external, arrayBuffers } = process.memoryUsage()
      send({ id, heapUsed, heapTotal, rss, external, arrayBuffers, gcAvailable: gc !== undefined })
    } else if (cmd === 'close') {
      await app.close()
      send({ id })
      process.disconnect()
    }
  })
  // The parent went away: do not outlive it.
  process.on('disconnect', () => { app.close().finally(() => process.exit(0)) })
  send({ ready: true, port, mode })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
