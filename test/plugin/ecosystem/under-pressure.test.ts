// @fastify/under-pressure, the real package, over real sockets, registered
// before and after fastify-expect. Its load shedding is an onRequest hook, so a
// server under pressure answers 503 before the body. The health check is the
// deterministic way to be under pressure (event loop delay and memory are
// sampled on a timer; all take the same path to the 503).
import t from 'tap'
import underPressure from '@fastify/under-pressure'
import { listen } from '../../helpers/server'
import { ORDERS, registerInOrder, uploadHead } from '../../helpers/ecosystem'
import { head, rawRequest } from '../../helpers/raw-client'

const body = JSON.stringify({ reading: 'x'.repeat(500) })
const jsonUpload = { 'content-type': 'application/json', 'content-length': body.length }

// Awaited registrations, and queued ones with the route declared before either has loaded.
for (const [order, awaited] of ORDERS.flatMap((order) => [[order, true], [order, false]] as const)) {
  t.test(`@fastify/under-pressure registered ${order} fastify-expect${awaited ? '' : ', not awaited'}: 503 before the upload`, async (t) => {
    const build = (healthy: boolean) => listen(t, async (app) => {
      await registerInOrder(app, order, () => app.register(underPressure, {
        healthCheck: async () => healthy,
        healthCheckInterval: 60_000,
        retryAfter: 7
      }), { awaited })
      app.post('/upload', async (request) => ({ received: (request.body as { reading: string }).reading.length }))
    }, { plugin: false })

    const busy = await build(false)
    // The route's first request is an expectation request, then a plain one, then another.
    for (const expect of [true, false, true]) {
      const before = busy.bytesRead()
      const requestHead = expect
        ? uploadHead('POST /upload', jsonUpload)
        : head('POST /upload HTTP/1.1', { host: 'localhost', ...jsonUpload })
      const r = await rawRequest({ port: busy.port, head: requestHead, body, sendBody: expect ? 'on-continue' : 'now' })
      t.equal(r.status, 503, `expect: ${expect}`)
      t.equal(r.headers['retry-after'], '7')
      t.equal(JSON.parse(r.body).code, 'FST_UNDER_PRESSURE')
      if (expect) {
        t.same(r.informational, [])
        t.equal(r.bodyBytesSent, 0, 'the client sent no body')
        t.equal(busy.bytesRead() - before, requestHead.length, 'the server read only the head')
        t.equal(r.headers.connection, 'close')
      }
    }

    const fine = await build(true)
    const ok = await rawRequest({ port: fine.port, head: uploadHead('POST /upload', jsonUpload), body })
    t.same(ok.informational, ['HTTP/1.1 100 Continue'])
    t.equal(ok.status, 200)
    t.same(JSON.parse(ok.body), { received: 500 })
  })
}
