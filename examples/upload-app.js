// @ts-check
// The example upload app: the routes an upload service typically has, each with
// the rules Fastify already lets you declare. fastify-expect reads those rules
// and applies them before the body is sent. Used by `npm start`, the tests and
// the benchmarks.
'use strict'
const Fastify = require('fastify')
const { errorCodes } = Fastify
const { createHash } = require('node:crypto')
const fastifyExpect = require('..')

const MiB = 1024 * 1024
const TOKEN = 'Bearer demo-token'

/**
 * A content-type parser that counts an upload's bytes as it streams (it never buffers).
 * @param {import('fastify').FastifyRequest} request
 * @param {import('node:stream').Readable} payload
 * @param {(err: Error | null, body?: { bytes: number }) => void} done
 */
function countBytes (request, payload, done) {
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

/**
 * @param {{ expect?: boolean, logger?: boolean, expectOptions?: Record<string, unknown>, serverOptions?: Record<string, unknown> }} [options]
 *   expect: register fastify-expect (default true); false gives plain Fastify, for comparison.
 */
function buildUploadApp (options = {}) {
  const { expect = true, logger = false, expectOptions = {}, serverOptions = {} } = options
  const app = Fastify({ logger, ...serverOptions })
  // First: fastify-expect reads each route's rules as it is declared, so the
  // routes live in plugins registered after it (or: await app.register(...)).
  if (expect) app.register(fastifyExpect, expectOptions)

  // Files: raw bytes, streamed, behind a token.
  app.register(async function files (app) {
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
  app.register(async function ingestion (app) {
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
  })

  // S3-style object uploads (path-style, as the AWS SDK sends them with forcePathStyle).
  app.register(s3Bucket, { prefix: '/s3' })

  return app
}

/** The S3-style endpoint's one bucket and the access key it knows (a stand-in for SigV4 verification). */
const S3 = { bucket: 'uploads', accessKeyId: 'AKIDEXAMPLE', maxObjectSize: 8 * MiB }

/**
 * PUT /s3/:bucket/:key: an S3-compatible upload for images and binary objects, at most 8 MiB each,
 * answering errors as S3 does (XML, with S3's codes), so S3 clients report them properly.
 * @param {import('fastify').FastifyInstance} app
 */
async function s3Bucket (app) {
  /** @type {Record<number, string>} */
  const s3Codes = { 403: 'AccessDenied', 404: 'NoSuchBucket', 413: 'EntityTooLarge', 415: 'UnsupportedMediaType', 417: 'ExpectationFailed' }
  /** @param {import('fastify').FastifyReply} reply @param {number} status @param {string} message */
  const s3Error = (reply, status, message) => reply.code(status).type('application/xml')
    .send(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${s3Codes[status] ?? 'InvalidRequest'}</Code><Message>${message}</Message></Error>`)
  app.setErrorHandler((/** @type {import('fastify').FastifyError} */ error, request, reply) => s3Error(reply, error.statusCode ?? 500, error.message))
  /**
   * countBytes, and the MD5 that S3 returns as the ETag.
   * @param {import('fastify').FastifyRequest} request
   * @param {import('node:stream').Readable} payload
   * @param {(err: Error | null, body?: { bytes: number, etag: string }) => void} done
   */
  const hashObject = (request, payload, done) => {
    const md5 = createHash('md5')
    payload.on('data', (/** @type {Buffer} */ chunk) => md5.update(chunk))
    countBytes(request, payload, (err, counted) => {
      if (err !== null || counted === undefined) done(err)
      else done(null, { ...counted, etag: md5.digest('hex') })
    })
  }
  app.addContentTypeParser('application/octet-stream', hashObject)
  app.addContentTypeParser(/^image\//, hashObject)
  app.addHook('onRequest', async function sigV4AccessKey (request, reply) {
    const credential = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')
    if (credential?.[1] !== S3.accessKeyId) return s3Error(reply, 403, 'The AWS access key Id you provided does not exist in our records.')
    if (/** @type {{ bucket?: string }} */ (request.params).bucket !== S3.bucket) return s3Error(reply, 404, 'The specified bucket does not exist')
  })
  app.put('/:bucket/*', {
    bodyLimit: S3.maxObjectSize,
    config: { expect: { contentTypes: ['application/octet-stream', 'image/*'] } }
  }, async function putObject (request, reply) {
    const { etag } = /** @type {{ etag: string }} */ (request.body)
    return reply.header('etag', `"${etag}"`).send()
  })
}

module.exports = { buildUploadApp, TOKEN, MiB, S3 }
