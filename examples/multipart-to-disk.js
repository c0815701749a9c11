// @ts-check
// File uploads with @fastify/multipart, streamed to disk.
//
//   node examples/multipart-to-disk.js      (npm run example:multipart builds first)
//
// fastify-expect answers from the headers, before the upload: 401 without the
// token, 415 for anything but a form, 413 when Content-Length is over the
// route's bodyLimit. An accepted upload gets its 100 Continue when the handler
// starts iterating the files (the multipart parser itself reads nothing), and
// each file is streamed to disk; a file over limits.fileSize is refused while
// streaming (413), and the request's files are removed.
'use strict'
const { createWriteStream } = require('node:fs')
const { mkdir, unlink } = require('node:fs/promises')
const { tmpdir } = require('node:os')
const { basename, join } = require('node:path')
const { randomUUID } = require('node:crypto')
const { pipeline } = require('node:stream/promises')
const Fastify = require('fastify')
const multipart = require('@fastify/multipart')
const fastifyExpect = require('..')

const MiB = 1024 * 1024

/**
 * @param {{ dir?: string, token?: string, maxFileSize?: number, maxRequestSize?: number, logger?: boolean }} [options]
 *   dir: where files are written; maxFileSize: per file (multipart's limits.fileSize);
 *   maxRequestSize: the whole form (the route's bodyLimit, which fastify-expect checks before the upload).
 */
function buildMultipartApp (options = {}) {
  const {
    dir = join(tmpdir(), 'fastify-expect-uploads'),
    token = 'demo-token',
    maxFileSize = 50 * MiB,
    maxRequestSize = 200 * MiB,
    logger = false
  } = options
  const app = Fastify({ logger })
  app.register(fastifyExpect)
  app.register(multipart, { limits: { fileSize: maxFileSize, files: 20 } })

  app.register(async function uploads (app) {
    await mkdir(dir, { recursive: true })
    app.addHook('onRequest', async function auth (request, reply) {
      if (request.headers.authorization !== `Bearer ${token}`) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'Unauthorized' })
      }
    })
    app.post('/uploads', {
      // Multipart limits each file; this limits the whole form, and is what a
      // client's Content-Length is checked against before it sends anything.
      bodyLimit: maxRequestSize,
      config: { expect: { contentTypes: ['multipart/form-data'] } }
    }, async function saveFiles (request, reply) {
      /** @type {Array<{ field: string, filename: string, stored: string, bytes: number }>} */
      const saved = []
      try {
        // The first iteration reads the body: that is when the client gets its 100.
        for await (const part of request.files()) {
          const stored = `${randomUUID()}-${basename(part.filename || 'unnamed').replace(/[^\w.-]/g, '_')}`
          const file = { field: part.fieldname, filename: part.filename, stored, bytes: 0 }
          saved.push(file)
          await pipeline(part.file, createWriteStream(join(dir, stored)))
          // Over limits.fileSize, multipart stops the file short and marks it truncated.
          if (part.file.truncated) throw new app.multipartErrors.RequestFileTooLargeError()
          file.bytes = part.file.bytesRead
        }
      } catch (error) {
        // All or nothing: a failed upload leaves no file behind.
        await Promise.all(saved.map((file) => unlink(join(dir, file.stored)).catch(() => {})))
        throw error
      }
      return reply.code(201).send({ files: saved })
    })
  })
  return app
}

module.exports = { buildMultipartApp }

if (require.main === module) {
  const dir = process.env.UPLOAD_DIR ?? join(tmpdir(), 'fastify-expect-uploads')
  const app = buildMultipartApp({ dir, logger: true })
  app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).then((address) => {
    console.log(`multipart uploads to disk: ${address}/uploads (files go to ${dir})`)
    console.log(`try: curl -F file=@some-file.bin -H 'authorization: Bearer demo-token' ${address}/uploads`)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
