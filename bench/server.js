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

async function main () {
  const mode = process.argv[2] === 'plugin' || process.argv[2] === 'plugin-nolinger' ? process.argv[2] : 'plain'
  const app = await buildApp(mode, Number(process.argv[3] ?? 0))
  await app.listen({ port: 0, host: '127.0.0.1' })
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
