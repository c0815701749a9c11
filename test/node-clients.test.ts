// Node's own clients: http (the `continue` event) and http2 (cleartext), as an
// app's users would drive them: send the headers, write the body on `continue`.
import t from 'tap'
import http from 'node:http'
import http2 from 'node:http2'
import { listen } from './helpers/server'
import type { FastifyInstance } from 'fastify'

interface Outcome { status: number, continued: boolean, body: string, bodySent: boolean }

function routes (app: FastifyInstance): void {
  app.post('/items', { bodyLimit: 1000 }, async (request) => ({ got: request.body, info: request.expectation }))
  app.get('/items', async (request) => ({ info: request.expectation }))
}

function httpUpload (port: number, path: string, headers: Record<string, string | number>, body: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let continued = false
    let bodySent = false
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path, headers: { expect: '100-continue', ...headers } })
    req.on('continue', () => { continued = true; bodySent = true; req.end(body) })
    req.on('response', (res) => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { data += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, continued, body: data, bodySent }); req.destroy() })
    })
    req.on('error', reject)
    req.flushHeaders()
  })
}

t.test('Node http client', async (t) => {
  const server = await listen(t, routes)
  const body = JSON.stringify({ a: 1 })
  const ok = await httpUpload(server.port, '/items', { 'content-type': 'application/json', 'content-length': body.length }, body)
  t.same({ status: ok.status, continued: ok.continued }, { status: 200, continued: true })
  t.same(JSON.parse(ok.body).got, { a: 1 })
  for (const [label, path, headers, status] of [
    ['too large', '/items', { 'content-type': 'application/json', 'content-length': 5000 }, 413],
    ['wrong type', '/items', { 'content-type': 'text/csv', 'content-length': 10 }, 415],
    ['no route', '/nowhere', { 'content-type': 'application/json', 'content-length': 10 }, 404]
  ] as const) {
    const r = await httpUpload(server.port, path, headers, 'x'.repeat(Number(headers['content-length'])))
    t.same({ status: r.status, continued: r.continued, bodySent: r.bodySent }, { status, continued: false, bodySent: false }, label)
  }
})

interface H2Outcome { status: number, continued: boolean, body: string, bodySent: boolean }

function h2Upload (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<H2Outcome> {
  return new Promise((resolve, reject) => {
    let continued = false
    let bodySent = false
    let status = 0
    let data = ''
    const stream = session.request(headers, { endStream: body === undefined })
    stream.on('continue', () => { continued = true; bodySent = true; stream.end(body) })
    stream.on('response', (h) => { status = Number(h[':status']) })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => { data += chunk })
    stream.on('end', () => { resolve({ status, continued, body: data, bodySent }); stream.close() })
    stream.on('error', reject)
  })
}

t.test('Node http2 client (cleartext)', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as never })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => session.close())
  const body = JSON.stringify({ b: 2 })
  const post = (path: string, extra: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders =>
    ({ ':method': 'POST', ':path': path, expect: '100-continue', 'content-type': 'application/json', ...extra })

  const ok = await h2Upload(session, post('/items', { 'content-length': body.length }), body)
  t.same({ status: ok.status, continued: ok.continued }, { status: 200, continued: true })
  t.same(JSON.parse(ok.body), { got: { b: 2 }, info: { present: true, verdict: 'approved', continueSent: true } })

  // HTTP/2 has no chunked encoding: a body of unknown length is just a stream.
  const noLength = await h2Upload(session, post('/items', {}), body)
  t.same({ status: noLength.status, continued: noLength.continued }, { status: 200, continued: true })

  // Node's HTTP/2 layer only recognises the exact lower-case value; the plugin reads the field as the RFC says.
  const mixedCase = await h2Upload(session, post('/items', { expect: '100-Continue', 'content-length': body.length }), body)
  t.same({ status: mixedCase.status, continued: mixedCase.continued }, { status: 200, continued: true })

  for (const [label, headers, status] of [
    ['too large', post('/items', { 'content-length': 5000 }), 413],
    ['wrong type', post('/items', { 'content-type': 'text/csv', 'content-length': 10 }), 415],
    ['no route', post('/nowhere', { 'content-length': 10 }), 404],
    ['unknown expectation', post('/items', { expect: 'x-teapot', 'content-length': 10 }), 417]
  ] as const) {
    const r = await h2Upload(session, headers, 'x'.repeat(10))
    t.same({ status: r.status, continued: r.continued, bodySent: r.bodySent }, { status, continued: false, bodySent: false }, label)
  }

  // The headers end the stream: no body, no 100.
  const get = await h2Upload(session, { ':method': 'GET', ':path': '/items', expect: '100-continue' })
  t.equal(get.status, 200)
  t.equal(get.continued, false)
  t.same(JSON.parse(get.body).info, { present: true, verdict: 'ignored', continueSent: false })

  // The session is still healthy for more streams.
  const again = await h2Upload(session, post('/items', { 'content-length': body.length }), body)
  t.equal(again.status, 200)
})
