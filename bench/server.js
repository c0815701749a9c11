// @ts-check
// A benchmark server in its own process: a small upload service, as plain
// Fastify or with fastify-expect. The requests measured without Expect go to
// routes that declare no rule (a GET, a JSON ingest with a body schema, a
// streamed upload behind an auth hook); a route with `config.expect` rules and
// its own bodyLimit takes the expectation uploads; /checked/:name declares every
// kind of rule (bodyLimit, config.expect.contentTypes and a check, schema.body.content,
// schema.headers) for the instruction counts (bench/instructions.js).
//
//   node bench/server.js plain|plugin|plugin-nolinger [extraRoutes] [h2]
//
// h2: also an h2c app (same routes and registration) on a second port, so that one
// process serves HTTP/2 expectation streams besides HTTP/1.1.
// Once listening it sends {port, h2Port} on its IPC channel (prints it without one), then answers
// { cmd: 'cpu' | 'mem' | 'gc' | 'probe' } with { user, system } / process.memoryUsage() / {}
// (probe prints V8's feedback for process.nextTick and exits).
'use strict'
const Fastify = require('fastify')

const MiB = 1024 * 1024
const TOKEN = 'Bearer bench'

/**
 * Streams the body and counts it: a streaming parser enforces its own limit.
 * @param {import('fastify').FastifyRequest} request
 * @param {import('node:stream').Readable} payload
 * @param {(err: Error | null, body?: { bytes: number }) => void} done
 */
function countBytes (request, payload, done) {
  const limit = request.routeOptions.bodyLimit ?? MiB
  let bytes = 0
  const count = (/** @type {Buffer} */ chunk) => {
    bytes += chunk.length
    if (bytes > limit) {
      payload.off('data', count)
      done(new Fastify.errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
    }
  }
  payload.on('data', count)
  payload.on('end', () => { if (bytes <= limit) done(null, { bytes }) })
}

/** The i-th route that only makes the app bigger: half GET, half POST with a body limit of its own. @param {number} i */
const extraRoute = (i) => ({ method: i % 2 === 0 ? 'GET' : 'POST', url: `/x${i.toString(36)}/item` })

/** The rules route's own check: what an app does with the head (a quota, a tenant), here a header read. @param {import('fastify').FastifyRequest} request */
function quota (request) {
  if (request.headers['x-quota'] === 'exceeded') throw Object.assign(new Error('Quota exceeded'), { statusCode: 429 })
}

/** @param {'plain' | 'plugin' | 'plugin-nolinger'} mode @param {number} extraRoutes @param {boolean} [http2] */
async function buildApp (mode, extraRoutes, http2 = false) {
  const app = /** @type {import('fastify').FastifyInstance} */ (/** @type {unknown} */ (http2 ? Fastify({ http2: true }) : Fastify()))
  // First: the plugin reads each route's rules as it is declared.
  if (mode === 'plugin') await app.register(require('..'))
  // No staged close: Node's immediate close after a refusal (what the staged close costs).
  if (mode === 'plugin-nolinger') await app.register(require('..'), { lingerTimeout: 0 })
  app.get('/ping', async () => ({ pong: true }))
  app.post('/ingest', { schema: { body: { type: 'object' } } }, async (request) => ({ keys: Object.keys(/** @type {object} */ (request.body)).length }))
  app.register(async function files (app) {
    app.addContentTypeParser('application/octet-stream', countBytes)
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization !== TOKEN) return reply.code(401).send({ error: 'Unauthorized' })
    })
    app.put('/blobs/:name', async (request, reply) => reply.code(201).send({ bytes: /** @type {{ bytes: number }} */ (request.body).bytes }))
    app.put('/files/:name', {
      bodyLimit: MiB,
      config: { expect: { contentTypes: ['application/octet-stream'] } }
    }, async (request, reply) => reply.code(201).send({ bytes: /** @type {{ bytes: number }} */ (request.body).bytes }))
    // Every rule at once. Plain Fastify applies the same bodyLimit, body schema and header
    // schema (after the body); config.expect (the media types, the check) is the plugin's.
    app.put('/checked/:name', {
      bodyLimit: MiB,
      config: { expect: { contentTypes: ['application/octet-stream'], check: quota } },
      schema: {
        headers: { type: 'object', properties: { authorization: { type: 'string' } }, required: ['authorization'] },
        body: { content: { 'application/octet-stream': { schema: { type: 'object' } } } }
      }
    }, async (request, reply) => reply.code(201).send({ bytes: /** @type {{ bytes: number }} */ (request.body).bytes }))
  })
  for (let i = 0; i < extraRoutes; i++) {
    const { method, url } = extraRoute(i)
    if (method === 'GET') app.get(url, async () => i)
    else app.post(url, { bodyLimit: 1024 }, async () => i)
  }
  return app
}

/**
 * Fastify gives each route an `avvio.once('preReady')` listener, and each one removes itself
 * from the array of all of them when it runs: starting 20,000 routes took 42 s here (most of it
 * in events.js's onceWrapper and removeListener), 50,000 routes under callgrind did not start
 * within 40 minutes. For the large apps of the scaling measurement, avvio's preReady listeners
 * are grouped behind one `once`, in the same order, until the app is ready (plain and plugin
 * alike; nothing of a request's path changes). Returns the undo.
 */
function groupPreReady () {
  const Boot = require(require.resolve('avvio', { paths: [require.resolve('fastify')] }))
  const EE = require('node:events')
  /** @type {WeakMap<object, Array<(...args: unknown[]) => void>>} */
  const groups = new WeakMap()
  Boot.prototype.once = function once (/** @type {string} */ event, /** @type {(...args: unknown[]) => void} */ listener) {
    if (event !== 'preReady') return EE.prototype.once.call(this, event, listener)
    let group = groups.get(this)
    if (group === undefined) {
      const listeners = /** @type {Array<(...args: unknown[]) => void>} */ ([])
      group = listeners
      groups.set(this, group)
      EE.prototype.once.call(this, 'preReady', (/** @type {unknown[]} */ ...args) => {
        groups.delete(this)
        for (const run of listeners) run.apply(this, args)
      })
    }
    group.push(listener)
    return this
  }
  return () => { delete Boot.prototype.once }
}

async function main () {
  const mode = process.argv[2] === 'plugin' || process.argv[2] === 'plugin-nolinger' ? process.argv[2] : 'plain'
  const extraRoutes = Number(process.argv[3] ?? 0)
  // A large app's start-up runs full collections while no tick item is queued, and they leave
  // the process in Node's slow state (README, "The Node slow state") or not, by chance: in the
  // scaling runs of 2026-12-07 the 50,000-route plugin process on Node 22 and 24 was slow (about
  // 35,000 instructions more per upload), the plain one not. One tick item held from the start
  // keeps every large app, plain or plugin, out of it, so that the two compare like with like.
  if (extraRoutes >= 1000) process.nextTick(() => { /** @type {any} */ (globalThis).heldTick = require('node:async_hooks').executionAsyncResource() })
  const undo = extraRoutes >= 1000 ? groupPreReady() : undefined
  const app = await buildApp(mode, extraRoutes)
  await app.listen({ port: 0, host: '127.0.0.1' })
  undo?.()
  const port = /** @type {import('node:net').AddressInfo} */ (app.server.address()).port
  let h2Port
  if (process.argv[4] === 'h2') {
    const h2 = await buildApp(mode, 0, true)
    await h2.listen({ port: 0, host: '127.0.0.1' })
    h2Port = /** @type {import('node:net').AddressInfo} */ (h2.server.address()).port
  }
  if (!process.send) return console.log(JSON.stringify({ port, h2Port }))
  process.send({ port, h2Port })
  process.on('message', (/** @type {{ cmd: string }} */ { cmd }) => {
    const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc
    // From a macrotask: no tick item is queued, as in an idle server. V8 keeps an unused
    // object layout through a couple of full GCs: three, as a long-running server has had.
    if (cmd === 'gc' && gc) return setImmediate(() => { gc(); gc(); gc(); process.send?.({}) })
    if (cmd === 'cpu') process.send?.(process.cpuUsage())
    else if (cmd.startsWith('mark:')) {
      // Between the phases of a trace (--trace-deopt, --log-ic).
      console.log(`=== ${cmd.slice(5)}`)
      process.send?.({})
    } else if (cmd === 'mem') process.send?.(process.memoryUsage())
    else if (cmd === 'probe') {
      // V8's feedback for process.nextTick (needs --allow-natives-syntax): its
      // DefineKeyedOwnPropertyInLiteral slots build the queued tick item, and
      // MEGAMORPHIC there is the slow state. V8 buffers what it prints: exiting flushes it.
      new Function('%DebugPrint(process.nextTick)')() // eslint-disable-line no-new-func
      process.exit(0)
    } else process.send?.({})
  })
  process.on('disconnect', () => process.exit(0))
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1) })

module.exports = { TOKEN, MiB, extraRoute }
