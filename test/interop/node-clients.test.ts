// Node's own clients: http (the `continue` event) and http2 (cleartext, one
// session for many streams), as an app's users would drive them.
import { expectationOf } from '../../plugin/index'
import t from 'tap'
import http2 from 'node:http2'
import type { FastifyInstance } from 'fastify'
import { listen } from '../helpers/server'
import { http2Exchange, httpUpload } from '../helpers/node-clients'

function routes (app: FastifyInstance): void {
  app.put('/items', { bodyLimit: 1000 }, async (request) => ({ got: request.body, info: expectationOf(request) }))
  app.get('/items', async (request) => ({ info: expectationOf(request) }))
}

t.test('Node http client', async (t) => {
  const server = await listen(t, routes)
  const origin = `http://127.0.0.1:${server.port}`
  const body = Buffer.from(JSON.stringify({ a: 1 }))
  const ok = await httpUpload(origin, '/items', { 'content-type': 'application/json' }, body)
  t.same({ status: ok.status, continued: ok.continued }, { status: 200, continued: true })
  t.same(JSON.parse(ok.body).got, { a: 1 })
  for (const [label, path, type, size, status] of [
    ['too large', '/items', 'application/json', 5000, 413],
    ['wrong type', '/items', 'text/csv', 10, 415],
    ['no route', '/nowhere', 'application/json', 10, 404]
  ] as const) {
    const r = await httpUpload(origin, path, { 'content-type': type }, Buffer.alloc(size))
    t.same({ status: r.status, continued: r.continued, written: r.written }, { status, continued: false, written: 0 }, label)
  }
})

t.test('Node http2 client (cleartext), many streams on one session', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as never })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => session.close())
  const body = JSON.stringify({ b: 2 })
  const put = (path: string, extra: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders =>
    ({ ':method': 'PUT', ':path': path, expect: '100-continue', 'content-type': 'application/json', ...extra })

  const ok = await http2Exchange(session, put('/items', { 'content-length': body.length }), body)
  t.same({ status: ok.status, continued: ok.continued }, { status: 200, continued: true })
  t.same(JSON.parse(ok.body), { got: { b: 2 }, info: { present: true, verdict: 'continued', continueSent: true } })

  // HTTP/2 has no chunked encoding: a body of unknown length is just a stream.
  const noLength = await http2Exchange(session, put('/items', {}), body)
  t.same({ status: noLength.status, continued: noLength.continued }, { status: 200, continued: true })

  // Node's HTTP/2 layer only recognises the exact lower-case value; the plugin reads the field as the RFC says.
  const mixedCase = await http2Exchange(session, put('/items', { expect: '100-Continue', 'content-length': body.length }), body)
  t.same({ status: mixedCase.status, continued: mixedCase.continued }, { status: 200, continued: true })

  for (const [label, headers, status] of [
    ['too large', put('/items', { 'content-length': 5000 }), 413],
    ['wrong type', put('/items', { 'content-type': 'text/csv', 'content-length': 10 }), 415],
    ['no route', put('/nowhere', { 'content-length': 10 }), 404],
    ['unknown expectation', put('/items', { expect: 'x-teapot', 'content-length': 10 }), 417]
  ] as const) {
    const r = await http2Exchange(session, headers, 'x'.repeat(10))
    t.same({ status: r.status, continued: r.continued, written: r.written }, { status, continued: false, written: 0 }, label)
  }

  // The headers end the stream: no body, no 100.
  const get = await http2Exchange(session, { ':method': 'GET', ':path': '/items', expect: '100-continue' }, undefined)
  t.same({ status: get.status, continued: get.continued }, { status: 200, continued: false })
  t.same(JSON.parse(get.body).info, { present: true, verdict: 'ignored', reason: 'no-body', continueSent: false })

  // After all those refusals the session still carries new streams.
  const again = await http2Exchange(session, put('/items', { 'content-length': body.length }), body)
  t.equal(again.status, 200)
})
