// The six ways 0.2.0 guessed a body's fate wrong (issue 16), each over real
// sockets: a raw HTTP/1.1 client that waits for the 100, and Node's http2 client.
import t from 'tap'
import http2 from 'node:http2'
import type { FastifyInstance } from 'fastify'
import { listen, MiB } from '../../helpers/server'
import { rawRequest, head } from '../../helpers/raw-client'

const upload = (path: string, headers: Record<string, string | number>, expect: boolean): string =>
  head(`PUT ${path} HTTP/1.1`, { host: 'x', ...(expect ? { expect: '100-continue' } : {}), ...headers })

/** A chunked body of `size` bytes, in 64 KiB chunks. */
function chunked (size: number): Buffer {
  const parts: Buffer[] = []
  for (let sent = 0; sent < size; sent += 64 * 1024) {
    const n = Math.min(64 * 1024, size - sent)
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), Buffer.alloc(n, 0x61), Buffer.from('\r\n'))
  }
  parts.push(Buffer.from('0\r\n\r\n'))
  return Buffer.concat(parts)
}

t.test('(1) after-checks sends no 100 before an answer Fastify gives from the head', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/x-tiny', { parseAs: 'buffer', bodyLimit: 100 }, (request, body, done) => { done(null, body) })
    app.put('/ac', { config: { expect: { sendContinue: 'after-checks', check: () => {} } } }, async () => 'stored')
  })
  const cases: Array<{ name: string, headers: Record<string, string | number> & { 'content-length': number }, status: number }> = [
    { name: 'a type no parser takes', headers: { 'content-type': 'APPLICATION/OCTET-STREAM', 'content-length': 10 }, status: 415 },
    { name: 'no content-type', headers: { 'content-length': 10 }, status: 415 },
    { name: 'over the server bodyLimit', headers: { 'content-type': 'application/json', 'content-length': 892534441483 }, status: 413 },
    { name: 'over the parser\'s own bodyLimit', headers: { 'content-type': 'application/x-tiny', 'content-length': 200 }, status: 413 }
  ]
  for (const c of cases) {
    const length = Math.min(c.headers['content-length'], 1000)
    const withExpect = await rawRequest({ port: server.port, head: upload('/ac', c.headers, true), body: Buffer.alloc(length), sendBody: 'on-continue', stopBodyOnFinal: true })
    t.equal(withExpect.status, c.status, `${c.name}: ${c.status} with Expect`)
    t.same(withExpect.informational, [], `${c.name}: no 100 before it`)
    const without = await rawRequest({ port: server.port, head: upload('/ac', c.headers, false), body: Buffer.alloc(length), sendBody: 'now', stopBodyOnFinal: true })
    t.equal(without.status, c.status, `${c.name}: ${c.status} without Expect`)
  }
  // Accepted: the 100 comes, after the check.
  const ok = await rawRequest({ port: server.port, head: upload('/ac', { 'content-type': 'application/json', 'content-length': 2 }, true), body: '{}' })
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 200)
})

/** One HTTP/2 upload without content-length: a first DATA frame, then the client keeps its side open. */
function openUpload (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): Promise<{ status: number, continued: boolean, ended: 'reset' | 'closed' | 'open', rstCode: number | undefined }> {
  return new Promise((resolve) => {
    const outcome = { status: 0, continued: false, ended: 'open' as 'reset' | 'closed' | 'open', rstCode: undefined as number | undefined }
    const req = session.request(headers)
    req.on('continue', () => { outcome.continued = true })
    req.on('response', (h) => { outcome.status = Number(h[':status']) })
    req.on('error', () => {})
    req.resume()
    req.write(Buffer.alloc(1000))
    // A bound on the wait, not a speed requirement: a stream left open stays open.
    let gaveUp = false
    const bound = setTimeout(() => { gaveUp = true; resolve({ ...outcome }); req.destroy() }, 3000)
    req.on('close', () => {
      clearTimeout(bound)
      if (gaveUp) return
      outcome.rstCode = req.rstCode
      outcome.ended = req.rstCode === undefined ? 'closed' : 'reset'
      resolve(outcome)
    })
  })
}

t.test('(2) HTTP/2: a stream answered before its body (no content-length) is reset with NO_ERROR', async (t) => {
  const routes = (app: FastifyInstance): void => {
    app.put('/limited', { bodyLimit: 64 * 1024 }, async () => 'stored')
  }
  for (const plugin of [true, false]) {
    const server = await listen(t, routes, { server: { http2: true } as object, ...(plugin ? {} : { plugin: false }) })
    const session = http2.connect(`http://127.0.0.1:${server.port}`)
    t.teardown(() => { session.destroy() })
    for (const expect of [undefined, '100-continue', ' 100-continue ']) {
      const r = await openUpload(session, { ':method': 'PUT', ':path': '/limited', 'content-type': 'text/csv', ...(expect === undefined ? {} : { expect }) })
      const what = `${plugin ? 'with the plugin' : 'plain Fastify'}, Expect ${JSON.stringify(expect)}`
      t.equal(r.status, 415, `${what}: 415`)
      if (plugin) t.notOk(r.continued, `${what}: no 100`)
      t.equal(r.ended, 'reset', `${what}: the server ended the stream`)
      t.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, `${what}: with NO_ERROR`)
    }
  }
})

t.test('(3) a streaming parser\'s own bodyLimit is applied', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/x-small', { bodyLimit: 1000 }, (request, payload, done) => {
      let bytes = 0
      payload.on('data', (chunk: Buffer) => { bytes += chunk.length })
      payload.on('end', () => { done(null, { bytes }) })
      payload.on('error', done)
    })
    app.put('/small', async (request, reply) => reply.code(201).send(request.body))
  })
  const type = { 'content-type': 'application/x-small' }
  const over = await rawRequest({ port: server.port, head: upload('/small', { ...type, 'content-length': 2000 }, true), body: Buffer.alloc(2000), stopBodyOnFinal: true })
  t.equal(over.status, 413, 'Content-Length over it: 413')
  t.same(over.informational, [], 'before the body')
  const overWithout = await rawRequest({ port: server.port, head: upload('/small', { ...type, 'content-length': 2000 }, false), body: Buffer.alloc(2000), sendBody: 'now' })
  t.equal(overWithout.status, 413, 'without Expect too')
  for (const expect of [true, false]) {
    const streamed = await rawRequest({ port: server.port, head: upload('/small', { ...type, 'transfer-encoding': 'chunked' }, expect), body: chunked(5000), sendBody: expect ? 'on-continue' : 'now' })
    t.equal(streamed.status, 413, `chunked over it (${expect ? 'with' : 'without'} Expect): cut, 413`)
  }
  const under = await rawRequest({ port: server.port, head: upload('/small', { ...type, 'content-length': 500 }, true), body: Buffer.alloc(500) })
  t.equal(under.status, 201, 'under it: accepted')
  t.same(JSON.parse(under.body), { bytes: 500 })
})

t.test('(4) a handler reading request.raw cannot escape the route\'s bodyLimit', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => { done(null) })
    app.put('/raw', { bodyLimit: 64 * 1024 }, async (request) => {
      let bytes = 0
      for await (const chunk of request.raw) bytes += (chunk as Buffer).length
      return { bytes }
    })
  })
  for (const expect of [true, false]) {
    const r = await rawRequest({ port: server.port, head: upload('/raw', { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, expect), body: chunked(2 * MiB), sendBody: expect ? 'on-continue' : 'now', stopBodyOnFinal: true })
    t.equal(r.status, 413, `chunked 2 MiB ${expect ? 'with' : 'without'} Expect: 413`)
  }
  const small = await rawRequest({ port: server.port, head: upload('/raw', { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, true), body: chunked(1000) })
  t.equal(small.status, 200, 'under the limit: read by the handler')
  t.same(JSON.parse(small.body), { bytes: 1000 })
})

t.test('(5) under @fastify/otel, unknown routes still get their early 404', async (t) => {
  const FastifyOtelInstrumentation = require('@fastify/otel') as new (options?: object) => { plugin (): import('fastify').FastifyPluginCallback, disable (): void }
  const modes = [
    { name: 'its plugin registered before fastify-expect', options: {}, before: (app: FastifyInstance, otel: { plugin (): import('fastify').FastifyPluginCallback }) => { app.register(otel.plugin()) } },
    { name: 'registerOnInitialization: true', options: { registerOnInitialization: true }, before: () => {} }
  ]
  for (const mode of modes) {
    const otel = new FastifyOtelInstrumentation(mode.options)
    t.teardown(() => { otel.disable() })
    const server = await listen(t, (app) => {
      app.put('/known', async () => 'ok')
    }, { before: (app) => { mode.before(app, otel) } })
    otel.disable()
    const r = await rawRequest({ port: server.port, head: upload('/unknown', { 'content-type': 'application/json', 'content-length': 5000 }, true), body: Buffer.alloc(5000), stopBodyOnFinal: true })
    t.equal(r.status, 404, `${mode.name}: 404`)
    t.same(r.informational, [], `${mode.name}: no 100 before it`)
  }
})
