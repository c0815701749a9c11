// inject() (no socket) meets the same slots; the Prometheus example's gauges and
// histogram of waits (examples/metrics-prometheus.js, with the built plugin).
import t from 'tap'
import Fastify from 'fastify'
import { expectPlugin, until, MiB } from '../../helpers/server'
import { uploadHead } from './helpers'
const { rawRequest } = require('../../helpers/raw-client.js')

t.test('inject(): a slot per request, given back; refused at capacity without Expect', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin, { maxConcurrentUploads: 1 })
  const held: Array<() => void> = []
  app.put('/upload', async (request) => {
    if (request.headers['x-hold'] !== undefined) await new Promise<void>((resolve) => held.push(resolve))
    return { bytes: String(request.body).length }
  })
  t.teardown(() => app.close())
  const one = await app.inject({ method: 'PUT', url: '/upload', payload: 'x'.repeat(100), headers: { 'content-type': 'text/plain' } })
  t.equal(one.statusCode, 200)
  t.equal(app.expectAdmission.inUse, 0)
  const holding = app.inject({ method: 'PUT', url: '/upload', payload: 'x'.repeat(100), headers: { 'content-type': 'text/plain', 'x-hold': '1' } })
  await until(t, 'held', () => held.length === 1)
  const busy = await app.inject({ method: 'PUT', url: '/upload', payload: 'x'.repeat(100), headers: { 'content-type': 'text/plain' } })
  t.equal(busy.statusCode, 503)
  t.match(busy.headers['retry-after'], /^[1-9]\d*$/)
  t.match(busy.json(), { code: 'FST_ERR_EXPECT_BUSY' })
  ;(held.shift() as () => void)()
  t.equal((await holding).statusCode, 200)
  t.equal(app.expectAdmission.inUse, 0)
})

t.test('metrics example: slot gauges and the histogram of waits', async (t) => {
  const { buildMetricsApp } = require('../../../examples/metrics-prometheus')
  const app = buildMetricsApp({ expectOptions: { maxConcurrentUploads: 3 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = app.server.address().port
  const { TOKEN } = require('../../../examples/upload-app')
  const head = uploadHead(port, MiB).replace('/upload', '/files/a.bin').replace('X-Hold: 1\r\n', `Authorization: ${TOKEN}\r\n`)
  const r = await rawRequest({ port, head, body: Buffer.alloc(MiB, 1), timeoutMs: 20_000 })
  t.equal(r.status, 201)
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, /^fastify_expect_upload_slots_limit 3$/m)
  t.match(metrics, /^fastify_expect_upload_slots_in_use 0$/m)
  t.match(metrics, /^fastify_expect_upload_slots_queued 0$/m)
  t.match(metrics, /^fastify_expect_admission_wait_seconds_count\{outcome="admitted"\} 1$/m)
  t.match(metrics, /^fastify_expect_admission_wait_seconds_bucket\{le="0",outcome="admitted"\} 1$/m, 'a free slot: no wait')
})
