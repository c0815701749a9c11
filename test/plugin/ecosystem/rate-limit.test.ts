// @fastify/rate-limit, the real package, over real sockets, registered before
// and after fastify-expect. Its limiter is a route-level onRequest hook added
// from its onRoute hook; fastify-expect's gate runs after the route's other
// onRequest hooks, so a request over the limit gets the 429 before its body.
import t from 'tap'
import rateLimit from '@fastify/rate-limit'
import { listen } from '../../helpers/server'
import { ORDERS, registerInOrder, uploadHead } from '../../helpers/ecosystem'
import { head, rawRequest } from '../../helpers/raw-client'

const body = JSON.stringify({ event: 'x'.repeat(200) })
const jsonUpload = { 'content-type': 'application/json', 'content-length': body.length }

for (const order of ORDERS) {
  t.test(`@fastify/rate-limit registered ${order} fastify-expect: 429 before the upload`, async (t) => {
    const server = await listen(t, async (app) => {
      await registerInOrder(app, order, () => app.register(rateLimit, { max: 3, timeWindow: 60_000 }))
      app.post('/upload', async (request) => ({ received: (request.body as { event: string }).event.length }))
      app.post('/closed', { config: { rateLimit: { max: 0, timeWindow: 60_000 } } }, async () => 'never')
    }, { plugin: false })

    // Within the limit: expectation, plain, expectation (the first is the route's first request).
    const first = await rawRequest({ port: server.port, head: uploadHead('POST /upload', jsonUpload), body })
    t.same(first.informational, ['HTTP/1.1 100 Continue'])
    t.equal(first.status, 200)
    t.equal(first.headers['x-ratelimit-remaining'], '2')
    const plain = await rawRequest({ port: server.port, head: head('POST /upload HTTP/1.1', { host: 'localhost', ...jsonUpload }), body, sendBody: 'now' })
    t.equal(plain.status, 200)
    const third = await rawRequest({ port: server.port, head: uploadHead('POST /upload', jsonUpload), body })
    t.same(third.informational, ['HTTP/1.1 100 Continue'])
    t.equal(third.status, 200)
    t.equal(third.headers['x-ratelimit-remaining'], '0')

    // Over the limit: 429, no 100, no body.
    const before = server.bytesRead()
    const requestHead = uploadHead('POST /upload', jsonUpload)
    const limited = await rawRequest({ port: server.port, head: requestHead, body })
    t.equal(limited.status, 429)
    t.same(limited.informational, [])
    t.equal(limited.bodyBytesSent, 0, 'the client sent no body')
    t.equal(server.bytesRead() - before, requestHead.length, 'the server read only the head')
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
    t.equal(limited.headers['x-ratelimit-limit'], '3')
    t.equal(limited.headers['x-ratelimit-remaining'], '0')
    t.equal(JSON.parse(limited.body).statusCode, 429)
    t.equal(limited.headers.connection, 'close')
    t.ok(limited.closedByServer)

    // A route whose very first request is an expectation request over its limit.
    const closedHead = uploadHead('POST /closed', jsonUpload)
    const closedBefore = server.bytesRead()
    const closed = await rawRequest({ port: server.port, head: closedHead, body })
    t.equal(closed.status, 429)
    t.same(closed.informational, [])
    t.equal(server.bytesRead() - closedBefore, closedHead.length)
  })
}

// Measured, for the README: with `hook: 'preHandler'` the limiter runs after
// the body parser, which reads the body, so the upload is sent before the 429.
t.test('@fastify/rate-limit with hook: preHandler answers only after the upload', async (t) => {
  const server = await listen(t, async (app) => {
    await app.register(rateLimit, { max: 0, timeWindow: 60_000, hook: 'preHandler' })
    app.post('/upload', async () => 'never')
  })
  const r = await rawRequest({ port: server.port, head: uploadHead('POST /upload', jsonUpload), body })
  t.same(r.informational, ['HTTP/1.1 100 Continue'], 'the JSON parser read the body before the preHandler hook')
  t.equal(r.bodyBytesSent, body.length)
  t.equal(r.status, 429)
})
