// @ts-check
// The example upload app: the routes an upload service typically has, each with
// the rules Fastify already lets you declare. fastify-expect reads those rules
// and applies them before the body is sent. Used by `npm start`, the tests and
// the benchmarks.
'use strict'
const Fastify = require('fastify')
const { errorCodes } = Fastify
const fastifyExpect = require('..')

const MiB = 1024 * 1024
const TOKEN = 'Bearer demo-token'

/**
 * @param {{ expect?: boolean, logger?: boolean, expectOptions?: Record<string, unknown>, serverOptions?: Record<string, unknown> }} [options]
 *   expect: register fastify-expect (default true); false gives plain Fastify, for comparison.
 */
function buildUploadApp (options = {}) {
  const { expect = true, logger = false, expectOptions = {}, serverOptions = {} } = options
  const app = Fastify({ logger, ...serverOptions })
  if (expect) app.register(fastifyExpect, expectOptions)

  // Files: raw bytes, streamed (the parser never buffers), behind a token.
  app.register(async function files (app) {
    /** @type {import('fastify').FastifyContentTypeParser} */
    const countBytes = function (request, payload, done) {
      const limit = request.routeOptions.bodyLimit ?? MiB
      let bytes = 0
      /** @param {Buffer} chunk */
      const count = (chunk) => {
        bytes += chunk.length
        // A streaming parser enforces its own limit (Fastify only does for buffered bodies).
        if (bytes > limit) {
          payload.off('data', count)
          done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
        }
      }
      payload.on('data', count)
      payload.on('end', () => { if (bytes <= limit) done(null, { bytes }) })
    }
    app.addContentTypeParser('application/octet-stream', countBytes)
    app.addContentTypeParser(/^image\//, countBytes)
    app.addHook('onRequest', async function auth (request, reply) {
      if (request.headers.authorization !== TOKEN) {
        reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized' })
        return reply
      }
    })
    app.put('/files/:name', {
      bodyLimit: MiB,
      config: { expect: { contentTypes: ['application/octet-stream', 'image/*'] } }
    }, async function storeFile (request, reply) {
      const { name } = /** @type {{ name: string }} */ (request.params)
      const { bytes } = /** @type {{ bytes: number }} */ (request.body)
      reply.code(201)
      return { name, bytes }
    })
  })

  // JSON ingestion: a tenant header and a JSON body, at most 64 KiB.
  app.post('/ingest', {
    bodyLimit: 64 * 1024,
    schema: {
      headers: {
        type: 'object',
        required: ['x-tenant'],
        properties: { 'x-tenant': { type: 'string', pattern: '^[a-z0-9-]+$' } }
      },
      body: { content: { 'application/json': { schema: { type: 'object' } } } }
    }
  }, async function ingest (request) {
    return { tenant: request.headers['x-tenant'], keys: Object.keys(/** @type {object} */ (request.body)).length }
  })

  return app
}

module.exports = { buildUploadApp, TOKEN, MiB }
