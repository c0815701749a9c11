// @ts-check
// An authenticated JSON ingestion endpoint: batches of events from API clients.
//
//   node examples/json-ingest.js      (npm run example:ingest builds first)
//
// Everything that decides the answer is in the request head, so a client that
// sends `Expect: 100-continue` (curl does above 1 MiB, .NET and PHP clients do
// for any POST) learns it before sending the batch:
// - 401: no or unknown API key (an onRequest hook);
// - 415: not JSON (the route's schema.body.content);
// - 413: over the route's bodyLimit;
// - 400: no X-Batch-Id header (the route's schema.headers);
// - 429: over the tenant's byte quota (config.expect.check, from Content-Length).
'use strict'
const Fastify = require('fastify')
const fastifyExpect = require('..')

/** @type {Record<string, string>} API key -> tenant */
const DEMO_KEYS = { 'demo-key': 'acme', 'other-key': 'globex' }

/**
 * @param {{ keys?: Record<string, string>, quotaBytes?: number, maxBatchBytes?: number, logger?: boolean }} [options]
 */
function buildIngestApp (options = {}) {
  const { keys = DEMO_KEYS, quotaBytes = 10 * 1024 * 1024, maxBatchBytes = 1024 * 1024, logger = false } = options
  const tenants = new Map(Object.entries(keys))
  /** @type {Map<string, number>} bytes ingested, per tenant (a real service would reset this daily) */
  const used = new Map()
  /** @type {Map<string, number>} events stored, per tenant */
  const stored = new Map()
  const app = Fastify({ logger })
  // First, and the routes in a plugin registered after it: fastify-expect reads
  // each route's rules as it is declared (or: await app.register(fastifyExpect)).
  app.register(fastifyExpect)
  app.register(async function events (app) {
    /** @param {import('fastify').FastifyRequest} request @returns {string | undefined} */
    const tenantOf = (request) => {
      const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
      return key === undefined ? undefined : tenants.get(key)
    }
    app.addHook('onRequest', async function apiKey (request, reply) {
      if (tenantOf(request) === undefined) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized' })
    })

    app.post('/v1/events', {
      bodyLimit: maxBatchBytes,
      schema: {
        headers: {
          type: 'object',
          required: ['x-batch-id'],
          properties: { 'x-batch-id': { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } }
        },
        body: {
          content: {
            'application/json': {
              schema: {
                type: 'array',
                maxItems: 10000,
                items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } }
              }
            }
          }
        }
      },
      config: {
        expect: {
          // Runs before the body is sent: refuse what the quota cannot take.
          // (A chunked upload declares no length: bodyLimit still applies while it streams.)
          check (request) {
            const declared = Number(request.headers['content-length'] ?? 0)
            const left = quotaBytes - (used.get(tenantOf(request) ?? '') ?? 0)
            if (declared > left) {
              throw Object.assign(new Error(`quota exceeded: ${left} bytes left`), { statusCode: 429 })
            }
          }
        }
      }
    }, async function ingest (request, reply) {
      const tenant = /** @type {string} */ (tenantOf(request))
      const events = /** @type {Array<{ type: string }>} */ (request.body)
      const bytes = Number(request.headers['content-length'] ?? Buffer.byteLength(JSON.stringify(events)))
      used.set(tenant, (used.get(tenant) ?? 0) + bytes)
      stored.set(tenant, (stored.get(tenant) ?? 0) + events.length)
      return reply.code(202).send({ tenant, batch: request.headers['x-batch-id'], accepted: events.length, total: stored.get(tenant) })
    })
  })
  return app
}

module.exports = { buildIngestApp, DEMO_KEYS }

if (require.main === module) {
  const app = buildIngestApp({ logger: true })
  app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).then((address) => {
    console.log(`JSON ingestion: ${address}/v1/events`)
    console.log(`try: curl -H 'authorization: Bearer demo-key' -H 'x-batch-id: b1' -H 'content-type: application/json' -H 'expect: 100-continue' --data '[{"type":"signup"}]' ${address}/v1/events`)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
