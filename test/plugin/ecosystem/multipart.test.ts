// @fastify/multipart, the real package, over real sockets, registered before
// and after fastify-expect. What really happens:
// - its content-type parser only marks the request (it never reads the stream),
//   so the body is first read when the handler iterates the files: that is
//   when the 100 goes out, and a handler (or preHandler) that answers first
//   never asks for the body;
// - with `attachFieldsToBody` its preValidation hook reads the whole form, so
//   the 100 goes out there, before the handler;
// - Content-Length is checked against the route's bodyLimit (else the
//   server's) before the upload; per-file limits (`limits.fileSize`) can only
//   be enforced while streaming, after the 100.
import { expectationOf } from '../../../plugin/index'
import t from 'tap'
import multipart from '@fastify/multipart'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { listen, MiB } from '../../helpers/server'
import { multipartBody, ORDERS, registerInOrder, uploadHead } from '../../helpers/ecosystem'
import { head, rawRequest } from '../../helpers/raw-client'

interface SavedFile { field: string, filename: string, bytes: number }

/** A handler that says whether the 100 had gone out before it read, then reads every file. */
async function receiveFiles (request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  // A snapshot each time; none without the plugin (plain Fastify, for comparison).
  const expectation = (): ReturnType<typeof expectationOf> => expectationOf(request)
  const continueSentBeforeReading = expectation()?.continueSent
  if (request.headers['x-refuse'] !== undefined) return reply.code(403).send({ error: 'refused by the handler, before reading' })
  const files: SavedFile[] = []
  for await (const part of request.files()) {
    let bytes = 0
    for await (const chunk of part.file) bytes += (chunk as Buffer).length
    files.push({ field: part.fieldname, filename: part.filename, bytes })
  }
  return reply.code(201).send({ continueSentBeforeReading, files, expectation: expectation() })
}

// Awaited registrations, and queued ones with the routes declared before either has loaded.
for (const [order, awaited] of ORDERS.flatMap((order) => [[order, true], [order, false]] as const)) {
  t.test(`@fastify/multipart registered ${order} fastify-expect${awaited ? '' : ', not awaited'}: streaming uploads`, async (t) => {
    const server = await listen(t, async (app) => {
      await registerInOrder(app, order, () => app.register(multipart, { limits: { fileSize: 256 * 1024 } }), { awaited })
      app.post('/upload', {
        bodyLimit: MiB,
        config: { expect: { contentTypes: ['multipart/form-data'] } }
      }, receiveFiles)
      app.post('/late-auth', {
        bodyLimit: MiB,
        preHandler: async (request, reply) => {
          if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'Unauthorized' })
        }
      }, receiveFiles)
    }, { plugin: false })

    // Accepted (the first request on the route): one 100, sent when the handler starts reading.
    const form = multipartBody([
      { name: 'note', content: 'two files' },
      { name: 'a', filename: 'a.bin', content: Buffer.alloc(1000, 1) },
      { name: 'b', filename: 'b.bin', content: Buffer.alloc(200 * 1024, 2) }
    ])
    const ok = await rawRequest({ port: server.port, head: uploadHead('POST /upload', { 'content-type': form.contentType, 'content-length': form.body.length }), body: form.body })
    t.same(ok.informational, ['HTTP/1.1 100 Continue'])
    t.equal(ok.status, 201)
    t.equal(ok.bodyBytesSent, form.body.length)
    t.same(JSON.parse(ok.body), {
      continueSentBeforeReading: false,
      files: [{ field: 'a', filename: 'a.bin', bytes: 1000 }, { field: 'b', filename: 'b.bin', bytes: 200 * 1024 }],
      expectation: { present: true, verdict: 'continued', continueSent: true }
    }, 'the multipart parser did not read the body: the handler\'s iteration did, and that sent the 100')

    // 413 from Content-Length, before the upload.
    const big = multipartBody([{ name: 'f', filename: 'big.bin', content: Buffer.alloc(3 * MiB) }])
    let before = server.bytesRead()
    let requestHead = uploadHead('POST /upload', { 'content-type': big.contentType, 'content-length': big.body.length })
    const tooBig = await rawRequest({ port: server.port, head: requestHead, body: big.body })
    t.equal(tooBig.status, 413)
    t.equal(JSON.parse(tooBig.body).code, 'FST_ERR_CTP_BODY_TOO_LARGE')
    t.same(tooBig.informational, [])
    t.equal(tooBig.bodyBytesSent, 0, 'the client sent no body')
    t.equal(server.bytesRead() - before, requestHead.length, 'the server read only the head')
    t.equal(tooBig.headers.connection, 'close')

    // 415: not a form, on a route that takes only forms.
    before = server.bytesRead()
    requestHead = uploadHead('POST /upload', { 'content-type': 'application/json', 'content-length': 2 })
    const notForm = await rawRequest({ port: server.port, head: requestHead, body: '{}' })
    t.equal(notForm.status, 415)
    t.same(notForm.informational, [])
    t.equal(server.bytesRead() - before, requestHead.length)

    // The handler answers before reading: no 100, no body.
    before = server.bytesRead()
    requestHead = uploadHead('POST /upload', { 'content-type': form.contentType, 'content-length': form.body.length, 'x-refuse': 'yes' })
    const refused = await rawRequest({ port: server.port, head: requestHead, body: form.body })
    t.equal(refused.status, 403)
    t.same(refused.informational, [])
    t.equal(refused.bodyBytesSent, 0)
    t.equal(server.bytesRead() - before, requestHead.length)
    t.equal(refused.headers.connection, 'close')

    // A file over limits.fileSize in a request under bodyLimit: only known while
    // streaming, so the 100 goes out and multipart answers 413 during the upload.
    const oneBigFile = multipartBody([{ name: 'f', filename: 'c.bin', content: Buffer.alloc(300 * 1024) }])
    const fileTooBig = await rawRequest({ port: server.port, head: uploadHead('POST /upload', { 'content-type': oneBigFile.contentType, 'content-length': oneBigFile.body.length }), body: oneBigFile.body })
    t.same(fileTooBig.informational, ['HTTP/1.1 100 Continue'])
    t.equal(fileTooBig.status, 413)
    t.equal(JSON.parse(fileTooBig.body).code, 'FST_REQ_FILE_TOO_LARGE')

    // Auth in a preHandler hook still answers before the upload: the multipart
    // parser reads nothing, so nothing has asked for the body yet.
    before = server.bytesRead()
    requestHead = uploadHead('POST /late-auth', { 'content-type': form.contentType, 'content-length': form.body.length })
    const lateAuth = await rawRequest({ port: server.port, head: requestHead, body: form.body })
    t.equal(lateAuth.status, 401)
    t.same(lateAuth.informational, [])
    t.equal(server.bytesRead() - before, requestHead.length)
    const lateAuthOk = await rawRequest({ port: server.port, head: uploadHead('POST /late-auth', { 'content-type': form.contentType, 'content-length': form.body.length, authorization: 'Bearer ok' }), body: form.body })
    t.equal(lateAuthOk.status, 201)
    t.same(lateAuthOk.informational, ['HTTP/1.1 100 Continue'])
  })
}

for (const order of ORDERS) {
  t.test(`@fastify/multipart registered ${order} fastify-expect: attachFieldsToBody reads in preValidation`, async (t) => {
    const server = await listen(t, async (app) => {
      await registerInOrder(app, order, () => app.register(multipart, { attachFieldsToBody: 'keyValues' }))
      app.post('/form', async (request) => ({
        continueSentBeforeHandler: expectationOf(request).continueSent,
        fields: Object.keys(request.body as object)
      }))
    }, { plugin: false })
    const form = multipartBody([{ name: 'title', content: 'hello' }, { name: 'doc', filename: 'd.txt', content: 'x'.repeat(5000) }])
    const r = await rawRequest({ port: server.port, head: uploadHead('POST /form', { 'content-type': form.contentType, 'content-length': form.body.length }), body: form.body })
    t.same(r.informational, ['HTTP/1.1 100 Continue'])
    t.equal(r.status, 200)
    t.same(JSON.parse(r.body), { continueSentBeforeHandler: true, fields: ['title', 'doc'] })
  })
}

// One answer per request: Fastify applies no bodyLimit to a parser that takes
// the stream (multipart), and neither does fastify-expect unless the route sets
// its own; with or without Expect, the same upload gets the same status.
t.test('multipart: the same answer with and without Expect, with and without the route\'s own bodyLimit', async (t) => {
  const server = await listen(t, async (app) => {
    await app.register(multipart, { limits: { fileSize: 10 * MiB } })
    app.post('/upload', receiveFiles)
    app.post('/sized', { bodyLimit: MiB }, receiveFiles)
  })
  const form = multipartBody([{ name: 'f', filename: 'two-mib.bin', content: Buffer.alloc(2 * MiB, 3) }])
  const headers = { 'content-type': form.contentType, 'content-length': form.body.length }
  for (const [path, status] of [['/upload', 201], ['/sized', 413]] as const) {
    const withExpect = await rawRequest({ port: server.port, head: uploadHead(`POST ${path}`, headers), body: form.body })
    t.equal(withExpect.status, status, `${path} with Expect`)
    t.same(withExpect.informational, status === 201 ? ['HTTP/1.1 100 Continue'] : [], `${path}: a 100 only for the accepted upload`)
    t.equal(withExpect.bodyBytesSent, status === 201 ? form.body.length : 0, `${path}: body bytes sent`)
    const withoutExpect = await rawRequest({ port: server.port, head: head(`POST ${path} HTTP/1.1`, { host: 'localhost', ...headers }), body: form.body, sendBody: 'now' })
    t.equal(withoutExpect.status, status, `${path} without Expect`)
  }
})
