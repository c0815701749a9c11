// Behaviour over real HTTP/1.1 sockets, with a client that sends the head,
// waits for the 100 and only then sends the body. Every rejection is checked
// for what the client saw (no 100, the final status, no body sent) and for the
// server having read no body byte.
import { expectationOf } from '../../../plugin/index'
import t from 'tap'
import { Readable, Transform } from 'node:stream'
import Fastify, { errorCodes, type FastifyInstance } from 'fastify'
import { listen, MiB } from '../../helpers/server'
import { rawRequest, head } from '../../helpers/raw-client'

const json = (value: unknown): string => JSON.stringify(value)
const upload = (path: string, headers: Record<string, string | number>, line = 'POST'): string =>
  head(`${line} ${path} HTTP/1.1`, { host: 'localhost', expect: '100-continue', ...headers })

t.test('an accepted upload gets one 100, then its body is read and answered', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/items', async (request) => ({ received: request.body, info: expectationOf(request) }))
  })
  const body = json({ name: 'x'.repeat(1000) })
  const r = await rawRequest({ port: server.port, head: upload('/items', { 'content-type': 'application/json', 'content-length': body.length }), body })
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body), { received: JSON.parse(body), info: { present: true, verdict: 'continued', continueSent: true } })
  t.equal(r.headers.connection, 'keep-alive')
})

t.test('413 before the body: route bodyLimit, streaming parser, parser bodyLimit', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/json', { bodyLimit: 1000 }, async () => 'never')
    app.register(async (app) => {
      // A parser that takes the raw stream: Fastify itself checks no limit before reading.
      app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
        payload.resume()
        payload.on('end', () => done(null, 'read'))
      })
      app.put('/stream', { bodyLimit: 4096 }, async () => 'never')
      app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 2048 }, (request, body, done) => done(null, body))
      app.put('/csv', async () => 'never')
    })
  })
  const cases = [
    { path: '/json', type: 'application/json', length: 1001 },
    { path: '/stream', type: 'application/octet-stream', length: 5 * MiB, method: 'PUT' },
    { path: '/csv', type: 'text/csv', length: 2049, method: 'PUT' }
  ]
  for (const c of cases) {
    const before = server.bytesRead()
    const requestHead = upload(c.path, { 'content-type': c.type, 'content-length': c.length }, c.method)
    const r = await rawRequest({ port: server.port, head: requestHead, body: Buffer.alloc(c.length) })
    t.equal(r.status, 413, c.path)
    t.same(r.informational, [], `${c.path}: no 100`)
    t.equal(r.bodyBytesSent, 0, `${c.path}: the client sent no body`)
    t.equal(server.bytesRead() - before, requestHead.length, `${c.path}: the server read only the head`)
    t.equal(JSON.parse(r.body).code, 'FST_ERR_CTP_BODY_TOO_LARGE')
    t.equal(r.headers.connection, 'close', `${c.path}: the connection is not reused`)
    t.ok(r.closedByServer, `${c.path}: and the server closed it`)
  }
  // At the limit exactly, the upload proceeds.
  const body = 'a'.repeat(2048)
  const ok = await rawRequest({ port: server.port, head: upload('/csv', { 'content-type': 'text/csv', 'content-length': 2048 }, 'PUT'), body })
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 200)
})

t.test('415 before the body: no parser, config.expect.contentTypes, schema.body.content', async (t) => {
  const routes = (app: FastifyInstance): void => {
    app.addContentTypeParser('image/png', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'png')) })
    app.addContentTypeParser('image/gif', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'gif')) })
    app.post('/any', async () => 'ok')
    app.post('/images', { config: { expect: { contentTypes: ['image/*'] } } }, async (request) => request.body)
    app.post('/png-only', {
      schema: { body: { content: { 'image/png': { schema: {} }, 'application/json': { schema: { type: 'object' } } } } }
    }, async (request) => request.body)
  }
  const server = await listen(t, routes)
  // Plain Fastify, for what Fastify itself answers: its media-type matching changed within 5.x.
  const plain = Fastify()
  routes(plain)
  t.teardown(() => plain.close())
  const rejected = [
    { path: '/any', type: 'text/csv' },
    { path: '/any', type: 'no/such; charset=x' },
    { path: '/any', type: '%%%' },
    { path: '/images', type: 'application/json' },
    { path: '/png-only', type: 'image/gif' }
  ]
  for (const c of rejected) {
    const before = server.bytesRead()
    const requestHead = upload(c.path, { 'content-type': c.type, 'content-length': 10 })
    const r = await rawRequest({ port: server.port, head: requestHead, body: '0123456789' })
    t.equal(r.status, 415, `${c.path} ${c.type}`)
    t.same(r.informational, [])
    t.equal(r.bodyBytesSent, 0)
    t.equal(server.bytesRead() - before, requestHead.length)
    t.equal(JSON.parse(r.body).code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
  }
  // No Content-Type at all, with a body, and no catch-all parser: 415 as Fastify answers.
  const noType = await rawRequest({ port: server.port, head: upload('/any', { 'content-length': 10 }), body: '0123456789' })
  t.equal(noType.status, 415)
  t.same(noType.informational, [])
  for (const c of [{ path: '/images', type: 'image/gif' }, { path: '/png-only', type: 'Image/PNG; x=1' }]) {
    const r = await rawRequest({ port: server.port, head: upload(c.path, { 'content-type': c.type, 'content-length': 3 }), body: 'abc' })
    // Fastify 5.0 matches media types case-sensitively (415 here), later 5.x do not: the plugin answers as Fastify does, the 415 before the body.
    const fastify = (await plain.inject({ method: 'POST', url: c.path, headers: { 'content-type': c.type }, payload: 'abc' })).statusCode
    t.same(r.informational, fastify === 200 ? ['HTTP/1.1 100 Continue'] : [], `${c.path} ${c.type}: ${fastify === 200 ? 'accepted' : 'refused before the body'}, as by Fastify`)
    t.equal(r.status, fastify)
  }
})

t.test('onRequest hooks answer first, without the body: auth before and after registration', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization !== 'yes') return reply.code(401).send({ error: 'who are you' })
    })
    app.post('/secret', { bodyLimit: 10 }, async () => 'ok')
  })
  const r = await rawRequest({ port: server.port, head: upload('/secret', { 'content-type': 'application/json', 'content-length': 5000 }), body: 'x'.repeat(5000) })
  t.equal(r.status, 401, 'the auth hook answers before the size check, as in plain Fastify')
  t.same(r.informational, [])
  t.equal(r.bodyBytesSent, 0)
  t.equal(r.headers.connection, 'close')
  const allowed = await rawRequest({ port: server.port, head: upload('/secret', { 'content-type': 'application/json', 'content-length': 2, authorization: 'yes' }), body: '{}' })
  t.equal(allowed.status, 200)
  t.same(allowed.informational, ['HTTP/1.1 100 Continue'])
})

t.test('404 from the not-found handler without reading the body', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/exists', async () => 'ok')
    app.register(async (app) => {
      app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ custom: true, url: request.url }))
      app.post('/exists', async () => 'ok')
    }, { prefix: '/custom' })
  })
  for (const [path, expected] of [['/missing', { message: 'Route POST:/missing not found', error: 'Not Found', statusCode: 404 }], ['/custom/missing', { custom: true, url: '/custom/missing' }]] as const) {
    const before = server.bytesRead()
    const requestHead = upload(path, { 'content-type': 'application/json', 'content-length': 3 * MiB })
    const r = await rawRequest({ port: server.port, head: requestHead, body: Buffer.alloc(3 * MiB) })
    t.equal(r.status, 404, path)
    t.same(JSON.parse(r.body), expected)
    t.same(r.informational, [])
    t.equal(r.bodyBytesSent, 0)
    t.equal(server.bytesRead() - before, requestHead.length)
  }
})

t.test('417 for expectations other than 100-continue, at the server event, before any route code', async (t) => {
  let ran = 0
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async () => { ran++ })
    app.post('/x', async () => 'ok')
  })
  for (const expect of ['foo', '100-continue, foo', 'x-fast=1', '100-continue;q=1', '"quoted"']) {
    const r = await rawRequest({ port: server.port, head: head('POST /x HTTP/1.1', { host: 'x', expect, 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
    t.equal(r.status, 417, expect)
    t.same(r.informational, [])
    t.same(JSON.parse(r.body), { statusCode: 417, code: 'FST_ERR_EXPECTATION_FAILED', error: 'Expectation Failed', message: JSON.parse(r.body).message })
    t.match(JSON.parse(r.body).message, /^Expectation Failed: /)
    t.equal(r.headers.connection, 'close', 'a body was announced: the connection ends')
    t.equal(r.bodyBytesSent, 0)
  }
  t.equal(ran, 0, 'no hook ran: as Node\'s own 417, this answer comes before routing')
  const log = server.logs.find((l) => l.expect?.reason === 'expectation')
  t.equal(log?.level, 30, 'logged at info')
  t.same(log?.expect, { verdict: 'expectation-failed', reason: 'expectation', statusCode: 417, declaredLength: 2 })
  const bodyless = await rawRequest({ port: server.port, head: head('GET /x HTTP/1.1', { host: 'x', expect: 'foo' }), keepOpen: true })
  t.equal(bodyless.status, 417)
  t.equal(bodyless.headers.connection, 'keep-alive', 'no body framed: the connection stays')
  bodyless.socket?.destroy()
})

t.test('no body framed: no 100, and the connection stays usable', async (t) => {
  const server = await listen(t, (app) => {
    app.get('/x', async (request) => ({ info: expectationOf(request) }))
    app.post('/x', async () => 'empty')
  })
  const first = await rawRequest({ port: server.port, head: head('GET /x HTTP/1.1', { host: 'x', expect: '100-continue' }), keepOpen: true })
  t.equal(first.status, 200)
  t.same(first.informational, [])
  t.same(JSON.parse(first.body).info, { present: true, verdict: 'ignored', reason: 'no-body', continueSent: false })
  t.equal(first.headers.connection, 'keep-alive')
  t.ok(first.socket, 'connection still open')
  const second = await rawRequest({ port: server.port, socket: first.socket, head: head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-length': 0 }), keepOpen: true })
  t.equal(second.status, 200)
  t.same(second.informational, [])
  t.equal(second.body, 'empty')
  const third = await rawRequest({ port: server.port, socket: second.socket, head: head('GET /x HTTP/1.1', { host: 'x' }) })
  t.equal(third.status, 200, 'a third request on the same connection')
})

t.test('chunked uploads: 100 on read, limit enforced while streaming', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/x', { bodyLimit: 100 }, async (request) => request.body)
  })
  const chunked = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`
  const small = json({ a: 'b' })
  const ok = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }), body: chunked(small) })
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 200)
  t.same(JSON.parse(ok.body), { a: 'b' })
  const big = json({ a: 'b'.repeat(500) })
  const tooBig = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }), body: chunked(big) })
  t.same(tooBig.informational, ['HTTP/1.1 100 Continue'], 'the size is unknown until the body streams')
  t.equal(tooBig.status, 413)
})

t.test('the 100 goes out on the first read, whoever reads', async (t) => {
  const server = await listen(t, (app) => {
    app.register(async (app) => {
      // A preParsing hook that wraps the stream: reading through it triggers the 100.
      app.addHook('preParsing', async (request, reply, payload) => {
        const upper = new Transform({ transform (chunk, enc, cb) { cb(null, chunk.toString().toUpperCase()) } })
        payload.pipe(upper)
        return upper
      })
      app.post('/pre', async (request) => request.body)
    })
    app.register(async (app) => {
      // A parser that leaves the stream to the handler, as @fastify/multipart does.
      app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
      app.put('/raw', async (request) => {
        let bytes = 0
        for await (const chunk of request.raw) bytes += (chunk as Buffer).length
        return { bytes, info: expectationOf(request) }
      })
      app.put('/ignore', async (request) => ({ info: expectationOf(request) }))
    })
  })
  const pre = await rawRequest({ port: server.port, head: upload('/pre', { 'content-type': 'text/plain', 'content-length': 5 }), body: 'hello' })
  t.same(pre.informational, ['HTTP/1.1 100 Continue'])
  t.equal(pre.body, 'HELLO')
  const raw = await rawRequest({ port: server.port, head: upload('/raw', { 'content-type': 'application/octet-stream', 'content-length': 1000 }, 'PUT'), body: Buffer.alloc(1000) })
  t.same(raw.informational, ['HTTP/1.1 100 Continue'])
  t.same(JSON.parse(raw.body), { bytes: 1000, info: { present: true, verdict: 'continued', continueSent: true } })
  // A handler that answers without reading: no 100, ever, and the connection ends.
  const before = server.bytesRead()
  const requestHead = upload('/ignore', { 'content-type': 'application/octet-stream', 'content-length': 1000 }, 'PUT')
  const ignored = await rawRequest({ port: server.port, head: requestHead, body: Buffer.alloc(1000), lingerMs: 200 })
  t.same(ignored.informational, [], 'no 100 after the final response')
  t.equal(ignored.status, 200)
  t.same(JSON.parse(ignored.body).info, { present: true, verdict: 'pending', continueSent: false }, 'at the handler, nothing had asked for the body')
  t.equal(ignored.headers.connection, 'close')
  t.equal(server.bytesRead() - before, requestHead.length)
})

t.test('a client that does not wait: the body is read, at most one 100', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/x', async (request) => request.body)
  })
  const body = json({ quick: true })
  const r = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': body.length }), body, sendBody: 'now' })
  t.equal(r.status, 200)
  t.ok(r.informational.length <= 1)
  t.same(JSON.parse(r.body), { quick: true })
})

t.test('config.expect: false: no rules, the route behaves as plain Fastify (the 100 still waits for the read)', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'read')) })
    app.put('/legacy', { config: { expect: false }, bodyLimit: 10, schema: { headers: { type: 'object', required: ['x-id'] } } }, async () => 'stored')
  })
  // Fastify's own checks still come before any read: 415 with no parser, 413 by Content-Length for buffered parsers.
  const csv = await rawRequest({ port: server.port, head: upload('/legacy', { 'content-type': 'text/csv', 'content-length': 3, 'x-id': '1' }, 'PUT'), body: 'a,b' })
  t.same(csv.informational, [])
  t.equal(csv.status, 415)
  const json = await rawRequest({ port: server.port, head: upload('/legacy', { 'content-type': 'application/json', 'content-length': 5000, 'x-id': '1' }, 'PUT'), body: 'x'.repeat(5000) })
  t.same(json.informational, [])
  t.equal(json.status, 413)
  // The route's own rules are off: no limit on a streaming parser, headers checked after the body.
  const stream = await rawRequest({ port: server.port, head: upload('/legacy', { 'content-type': 'application/octet-stream', 'content-length': 5000, 'x-id': '1' }, 'PUT'), body: Buffer.alloc(5000) })
  t.same(stream.informational, ['HTTP/1.1 100 Continue'])
  t.equal(stream.status, 200)
  const noId = await rawRequest({ port: server.port, head: upload('/legacy', { 'content-type': 'application/octet-stream', 'content-length': 5 }, 'PUT'), body: Buffer.alloc(5) })
  t.same(noId.informational, ['HTTP/1.1 100 Continue'], 'the header schema is Fastify\'s, after the body')
  t.equal(noId.status, 400)
})

t.test('sendContinue: after-checks sends the 100 once the route\'s rules pass, before the handler reads', async (t) => {
  const routes = (app: import('fastify').FastifyInstance): void => {
    app.addHook('preParsing', async (request, reply) => {
      if (request.headers['x-deny'] === 'yes') return reply.code(403).send('denied in preParsing')
    })
    // A parser that leaves the body to the handler, and a handler that never reads it.
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
    app.post('/x', async (request, reply) => reply.code(202).send('not reading'))
  }
  for (const [name, plugin] of [['on-read', {}], ['after-checks', { sendContinue: 'after-checks' }]] as const) {
    const server = await listen(t, routes, { plugin })
    const denied = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/octet-stream', 'content-length': 2, 'x-deny': 'yes' }), body: '{}' })
    t.equal(denied.status, 403)
    t.same(denied.informational, [], `${name}: an app preParsing hook answers before the plugin's, with no 100`)
    const unread = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/octet-stream', 'content-length': 2 }), body: '{}' })
    t.equal(unread.status, 202)
    t.same(unread.informational, name === 'after-checks' ? ['HTTP/1.1 100 Continue'] : [], `${name}: a handler that does not read`)
  }
  // The route can choose too.
  const perRoute = await listen(t, (app) => {
    app.post('/x', { config: { expect: { sendContinue: 'after-checks' } } }, async (request, reply) => reply.code(202).send('not reading'))
  })
  const r3 = await rawRequest({ port: perRoute.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
  t.same(r3.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r3.status, 202)
})

t.test('the route\'s header schema is checked before the body', async (t) => {
  const server = await listen(t, (app) => {
    const schema = { headers: { type: 'object', required: ['x-tenant'], properties: { 'x-tenant': { type: 'string', pattern: '^[a-z]+$' } } } }
    app.post('/strict', { schema }, async () => 'ok')
    app.post('/lenient', { schema, attachValidation: true }, async (request) => ({ validation: request.validationError?.message ?? null }))
  })
  for (const tenant of [undefined, 'UPPER']) {
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': 2 }
    if (tenant !== undefined) headers['x-tenant'] = tenant
    const before = server.bytesRead()
    const requestHead = upload('/strict', headers)
    const r = await rawRequest({ port: server.port, head: requestHead, body: '{}' })
    t.equal(r.status, 400)
    t.same(r.informational, [])
    t.equal(server.bytesRead() - before, requestHead.length)
    const error = JSON.parse(r.body)
    t.equal(error.code, 'FST_ERR_VALIDATION')
    t.match(error.message, tenant === undefined ? "headers must have required property 'x-tenant'" : 'headers/x-tenant must match pattern')
  }
  const ok = await rawRequest({ port: server.port, head: upload('/strict', { 'content-type': 'application/json', 'content-length': 2, 'x-tenant': 'acme' }), body: '{}' })
  t.equal(ok.status, 200)
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  // attachValidation: the route asked to handle validation errors itself, so the plugin lets it.
  const lenient = await rawRequest({ port: server.port, head: upload('/lenient', { 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
  t.equal(lenient.status, 200)
  t.same(lenient.informational, ['HTTP/1.1 100 Continue'])
  t.match(JSON.parse(lenient.body).validation, 'x-tenant')
})

t.test('config.expect.check: sync, async, throwing, answering itself', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/quota', {
      config: {
        expect: {
          check: async (request) => {
            if (Number(request.headers['content-length']) > 100) {
              throw Object.assign(new Error('quota exceeded'), { statusCode: 507 })
            }
          }
        }
      }
    }, async () => 'stored')
    app.post('/sync', { config: { expect: { check: (request) => { if (request.headers['x-ok'] !== 'yes') throw Object.assign(new Error('nope'), { statusCode: 403 }) } } } }, async () => 'ok')
    app.post('/plain-error', { config: { expect: { check: () => { throw new Error('bug') } } } }, async () => 'ok')
    // eslint-disable-next-line prefer-promise-reject-errors -- what a careless check does
    app.post('/rejects-nothing', { config: { expect: { check: () => Promise.reject('a string') } } }, async () => 'ok')
    app.post('/answers', { config: { expect: { check: (request, reply) => { reply.code(429).send({ retry: 1 }) } } } }, async () => 'ok')
  })
  const send = (path: string, length: number, extra: Record<string, string> = {}) => rawRequest({
    port: server.port,
    head: upload(path, { 'content-type': 'application/json', 'content-length': length, ...extra }),
    body: '"' + 'x'.repeat(length - 2) + '"'
  })
  const over = await send('/quota', 500)
  t.equal(over.status, 507)
  t.equal(JSON.parse(over.body).message, 'quota exceeded')
  t.same(over.informational, [])
  t.equal(over.bodyBytesSent, 0)
  const under = await send('/quota', 50)
  t.equal(under.status, 200)
  t.same(under.informational, ['HTTP/1.1 100 Continue'])
  t.equal((await send('/sync', 10)).status, 403)
  t.equal((await send('/sync', 10, { 'x-ok': 'yes' })).status, 200)
  const bug = await send('/plain-error', 10)
  t.equal(bug.status, 500, 'a plain Error is a 500, as anywhere in Fastify')
  t.same(bug.informational, [])
  const str = await send('/rejects-nothing', 10)
  t.equal(str.status, 500)
  t.same(str.informational, [])
  const answered = await send('/answers', 10)
  t.equal(answered.status, 429)
  t.same(JSON.parse(answered.body), { retry: 1 })
  t.same(answered.informational, [])
  t.equal(answered.headers.connection, 'close', 'Node ends a connection whose announced body was never asked for')
})

t.test('each refusal is logged once, whoever refused, with its reason, status and the bytes the client kept', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization === 'no') return reply.code(401).send('who')
      // The app's own early answers: the reason is read from the status.
      if (request.headers['x-answer'] !== undefined) return reply.code(Number(request.headers['x-answer'])).send('no')
    })
    app.post('/x', { bodyLimit: 10 }, async () => 'ok')
  }, { plugin: { rejectionLogLevel: 'warn' } })
  const cases: Array<[Record<string, string | number>, string, number]> = [
    [{ 'content-length': 123456 }, 'body-limit', 413],
    [{ 'content-length': 5, authorization: 'no' }, 'hook', 401],
    [{ 'content-length': 5, 'content-type': 'no/parser' }, 'media-type', 415],
    [{ 'content-length': 5, 'x-answer': 413 }, 'body-limit', 413],
    [{ 'content-length': 5, 'x-answer': 404 }, 'not-found', 404],
    [{ 'content-length': 5, 'x-answer': 415 }, 'media-type', 415]
  ]
  for (const [headers, reason, statusCode] of cases) {
    const before = server.logs.length
    await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', ...headers }), body: '' })
    const lines = server.logs.slice(before).filter((l) => l.expect !== undefined)
    t.equal(lines.length, 1, `${reason}: one line`)
    t.equal(lines[0]?.level, 40)
    t.same(lines[0]?.expect, { verdict: 'refused', reason, statusCode, declaredLength: headers['content-length'] })
    t.same(lines[0]?.req, { method: 'POST', url: '/x' })
    t.match(lines[0]?.msg, `upload refused before its body: ${statusCode} ${reason}`)
  }
})

t.test('requests without Expect meet nothing of the plugin\'s: route hook lists as in plain Fastify', async (t) => {
  const routes = (app: import('fastify').FastifyInstance): void => {
    app.get('/plain', async () => 'plain')
    app.post('/hooked', { onRequest: async function ownHook () {} }, async () => 'hooked')
    app.put('/ruled', { bodyLimit: 10 }, async () => 'ruled')
  }
  const print = (app: import('fastify').FastifyInstance): string => app.printRoutes({ includeHooks: true, commonPrefix: false })
  const plain = await listen(t, routes, { plugin: false })
  const withPlugin = await listen(t, routes)
  // The route with a rule: its rules before the body, and the staged close of an answer given with the body unread.
  const expected = print(plain.app).replace(/(\/ruled \(PUT\)\n)/, '$1    • (preParsing) ["fastifyExpectRules()"]\n    • (onSend) ["fastifyExpectStagedClose()"]\n')
  t.equal(print(withPlugin.app), expected, 'only the route that declares a rule has hooks of the plugin\'s')
  // Sockets keep their shape: only a connection that Node closes with a body unread gets the staged close
  // (test/plugin/internals/shapes.test.ts compares hidden classes).
  const sockets: import('node:net').Socket[] = []
  withPlugin.app.server.on('connection', (socket: import('node:net').Socket) => { sockets.push(socket) })
  await rawRequest({ port: withPlugin.port, head: head('POST /hooked HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': 2 }), body: '{}', sendBody: 'now' })
  await rawRequest({ port: withPlugin.port, head: upload('/hooked', { 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
  t.equal(sockets.length, 2)
  t.same(sockets.map((socket) => Object.keys(socket).includes('destroySoon')), [false, false], 'own properties: none on either connection, the expectation\'s kept alive')
})

t.test('Fastify\'s own error classes, so error handlers see the same errors', async (t) => {
  let seen: unknown
  const server = await listen(t, (app) => {
    app.setErrorHandler((error, request, reply) => { seen = error; reply.send(error) })
    app.post('/x', { bodyLimit: 1 }, async () => 'ok')
  })
  await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 10 }), body: '' })
  t.ok(seen instanceof errorCodes.FST_ERR_CTP_BODY_TOO_LARGE)
})

t.test('the body of a stream read by the handler arrives intact', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
    app.put('/echo', async (request, reply) => reply.send(Readable.from(request.raw)))
  })
  const body = Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 251))
  const r = await rawRequest({ port: server.port, head: upload('/echo', { 'content-type': 'application/octet-stream', 'content-length': body.length }, 'PUT'), body })
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 200)
})

t.test('a GET with a body: Fastify never reads it, so no 100 and no checks', async (t) => {
  const server = await listen(t, (app) => {
    app.get('/x', async (request) => ({ info: expectationOf(request) }))
  })
  const requestHead = head('GET /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'no/parser', 'content-length': 10 })
  const before = server.bytesRead()
  const r = await rawRequest({ port: server.port, head: requestHead, body: '0123456789' })
  t.equal(r.status, 200)
  t.same(r.informational, [])
  t.same(JSON.parse(r.body).info, { present: true, verdict: 'pending', continueSent: false })
  t.equal(r.headers.connection, 'close', 'the unread body ends the connection')
  t.equal(server.bytesRead() - before, requestHead.length)
})

t.test('not-found handlers of every shape answer without the body', async (t) => {
  const server = await listen(t, (app) => {
    const shapes: Record<string, import('fastify').RouteHandlerMethod> = {
      '/throws': () => { throw Object.assign(new Error('sync throw'), { statusCode: 410 }) },
      '/rejects': async () => { throw Object.assign(new Error('async throw'), { statusCode: 451 }) },
      '/returns': (request, reply) => { reply.code(404); return 'returned text' },
      '/resolves': async (request, reply) => { reply.code(404); return { resolved: true } }
    }
    for (const [prefix, handler] of Object.entries(shapes)) {
      app.register(async (scope) => { scope.setNotFoundHandler(handler) }, { prefix })
    }
  })
  const expected: Array<[string, number, string]> = [
    ['/throws/x', 410, 'sync throw'],
    ['/rejects/x', 451, 'async throw'],
    ['/returns/x', 404, 'returned text'],
    ['/resolves/x', 404, '{"resolved":true}']
  ]
  for (const [path, status, text] of expected) {
    const r = await rawRequest({ port: server.port, head: upload(path, { 'content-type': 'application/json', 'content-length': 1000 }), body: Buffer.alloc(1000) })
    t.equal(r.status, status, path)
    t.match(r.body, text)
    t.same(r.informational, [])
    t.equal(r.bodyBytesSent, 0)
  }
})

t.test('header validators of every shape Fastify accepts', async (t) => {
  type Compiler = import('fastify').FastifySchemaCompiler<unknown>
  const validationError = (message: string) => ({ keyword: 'custom', instancePath: '/x-ok', schemaPath: '#', params: {}, message })
  const shapes: Record<string, Compiler> = {
    // Ajv-like: false with .errors
    '/ajv-like': () => Object.assign((data: any) => data['x-ok'] === 'yes', { errors: [validationError('must be yes')] }),
    // TypeBox/Zod-like: { value } or { error }
    '/error-object': () => (data: any) => data['x-ok'] === 'yes' ? { value: data } : { error: Object.assign(new Error('x-ok must be yes'), { statusCode: 422 }) },
    '/error-list': () => (data: any) => data['x-ok'] === 'yes' ? { value: data } : { error: [validationError('is missing')] },
    // A validator that throws is a bug: 500, as Fastify answers.
    '/throws': () => () => { throw new Error('validator bug') },
    // Async validators are left to Fastify's own pass, after the body.
    '/async': () => Object.assign(async (data: any) => data['x-ok'] === 'yes', { errors: [validationError('checked later')] }) as never
  }
  const server = await listen(t, (app) => {
    for (const [path, compiler] of Object.entries(shapes)) {
      app.post(path, { schema: { headers: { type: 'object' } }, validatorCompiler: compiler }, async () => 'ok')
    }
  })
  const send = (path: string, ok: boolean) => rawRequest({
    port: server.port,
    head: upload(path, { 'content-type': 'application/json', 'content-length': 2, ...(ok ? { 'x-ok': 'yes' } : {}) }),
    body: '{}'
  })
  const expected: Array<[string, number, string]> = [
    ['/ajv-like', 400, 'headers/x-ok must be yes'],
    ['/error-object', 422, 'x-ok must be yes'],
    ['/error-list', 400, 'headers/x-ok is missing'],
    ['/throws', 500, 'validator bug']
  ]
  for (const [path, status, message] of expected) {
    const refused = await send(path, false)
    t.equal(refused.status, status, path)
    t.equal(JSON.parse(refused.body).message, message)
    t.same(refused.informational, [])
  }
  for (const path of ['/ajv-like', '/error-object', '/error-list']) {
    const accepted = await send(path, true)
    t.equal(accepted.status, 200, `${path} accepts`)
    t.same(accepted.informational, ['HTTP/1.1 100 Continue'])
  }
  const asyncRefused = await send('/async', false)
  t.same(asyncRefused.informational, ['HTTP/1.1 100 Continue'], 'an async validator runs after the body, in Fastify')
  t.equal(asyncRefused.status, 400)
  t.equal(JSON.parse(asyncRefused.body).message, 'headers/x-ok checked later')
})

t.test('the early header check leaves the request as sent (validators that remove or coerce)', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/strict', {
      schema: {
        headers: { type: 'object', additionalProperties: false, required: ['x-tenant'], properties: { 'x-tenant': { type: 'string' }, 'x-count': { type: 'integer', default: 1 } } },
        body: { type: 'object' }
      }
    }, async (request) => ({ body: request.body, count: request.headers['x-count'] }))
  })
  const body = json({ a: 1 })
  const r = await rawRequest({ port: server.port, head: upload('/strict', { 'content-type': 'application/json', 'content-length': body.length, 'x-tenant': 'acme' }), body })
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body), { body: { a: 1 }, count: 1 }, 'the body arrived, and Fastify\'s own pass applied the default')
})

t.test('a check that throws a plain object keeps its statusCode and message', async (t) => {
  const server = await listen(t, (app) => {
    // eslint-disable-next-line no-throw-literal
    app.post('/x', { config: { expect: { check: () => { throw { statusCode: 429, message: 'slow down' } } } } }, async () => 'ok')
    app.post('/y', { config: { expect: { check: () => { throw { statusCode: 429 } } } } }, async () => 'ok') // eslint-disable-line no-throw-literal
  })
  const r = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
  t.equal(r.status, 429)
  t.equal(JSON.parse(r.body).message, 'slow down')
  const r2 = await rawRequest({ port: server.port, head: upload('/y', { 'content-type': 'application/json', 'content-length': 2 }), body: '{}' })
  t.equal(r2.status, 429)
  t.equal(JSON.parse(r2.body).message, 'Expectation check failed')
})

t.test('no body framed, refused by an earlier hook: the connection still stays usable', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization === undefined) return reply.code(401).send('who')
    })
    app.get('/x', async () => 'ok')
  })
  const first = await rawRequest({ port: server.port, head: head('GET /x HTTP/1.1', { host: 'x', expect: '100-continue' }), keepOpen: true })
  t.equal(first.status, 401)
  t.equal(first.headers.connection, 'keep-alive')
  const second = await rawRequest({ port: server.port, socket: first.socket, head: head('GET /x HTTP/1.1', { host: 'x', authorization: 'a' }) })
  t.equal(second.status, 200)
})

t.test('a plugin that wraps every hook (tracing), registered before or after: rules apply once, after the route\'s hooks', async (t) => {
  for (const order of ['before', 'after'] as const) {
    let checks = 0
    const wrapAll = (app: import('fastify').FastifyInstance): void => {
      app.addHook('onRoute', (route) => {
        for (const name of ['onRequest', 'preParsing'] as const) {
          const hooks = route[name] === undefined ? [] : [route[name]].flat() as Array<(...args: any[]) => unknown>
          route[name] = hooks.map((fn) => Object.defineProperty(function traced (this: unknown, ...args: unknown[]) { return fn.apply(this, args) }, 'length', { value: fn.length })) as never
        }
      })
    }
    const server = await listen(t, (app) => {
      if (order === 'after') wrapAll(app)
      app.post('/x', {
        bodyLimit: 10,
        onRequest: async (request, reply) => { if (request.headers.authorization === undefined) return reply.code(401).send('who') },
        config: { expect: { check: () => { checks++ } } }
      }, async () => 'ok')
    }, { before: order === 'before' ? wrapAll : undefined })
    const ok = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 2, authorization: 'a' }), body: '{}' })
    t.same(ok.informational, ['HTTP/1.1 100 Continue'], `${order}: accepted`)
    t.equal(ok.status, 200)
    t.equal(checks, 1, `${order}: the check ran once`)
    const big = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 100, authorization: 'a' }), body: '' })
    t.equal(big.status, 413, `${order}: refused`)
    const who = await rawRequest({ port: server.port, head: upload('/x', { 'content-type': 'application/json', 'content-length': 100 }), body: '' })
    t.equal(who.status, 401, `${order}: the route's hook answered first`)
  }
})

t.test('a parser that never listens for errors: the limit still answers 413, and nothing crashes', async (t) => {
  const server = await listen(t, (app) => {
    // Streaming parsers as people write them: data and end, no 'error' listener.
    const careless = (request: unknown, payload: import('node:stream').Readable, done: (err: Error | null, body?: unknown) => void): void => {
      payload.on('data', () => {})
      payload.on('end', () => done(null, 'read'))
    }
    app.addContentTypeParser('application/octet-stream', careless)
    app.addContentTypeParser(/^image\//, careless)
    app.put('/stream', { bodyLimit: 100 }, async () => 'stored')
  })
  const chunked = (size: number): string => `${size.toString(16)}\r\n${'x'.repeat(size)}\r\n0\r\n\r\n`
  const overChunked = await rawRequest({ port: server.port, head: upload('/stream', { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, 'PUT'), body: chunked(500) })
  t.equal(overChunked.status, 413, 'chunked, over the limit while streaming')
  const overRegExp = await rawRequest({ port: server.port, head: upload('/stream', { 'content-type': 'image/png', 'content-length': 500 }, 'PUT'), body: 'x'.repeat(500) })
  t.equal(overRegExp.status, 413, 'a parser matched by a RegExp, Content-Length over the limit')
  t.same(overRegExp.informational, [], 'refused when the parser first read, with nothing read')
  t.equal(overRegExp.bodyBytesSent, 0)
  const fine = await rawRequest({ port: server.port, head: upload('/stream', { 'content-type': 'image/png', 'content-length': 50 }, 'PUT'), body: 'x'.repeat(50) })
  t.equal(fine.status, 200, 'the server is still up')
})
