// HTTP/1.1 expectation uploads against maxConcurrentUploads, over real sockets
// with the raw client that waits for the 100 (as curl does).
import t from 'tap'
import diagnostics from 'node:diagnostics_channel'
import { until, MiB } from '../../helpers/server'
import { uploadApp, uploadHead } from './helpers'
import { expectationOf } from '../../../plugin/index'
import { ADMISSION_CHANNEL, type AdmissionMessage } from '../../../plugin/admission/admit'
const { rawRequest } = require('../../helpers/raw-client.js')

const BODY = Buffer.alloc(1 * MiB, 7)

t.test('N + k uploads against N slots: never more than N bodies in flight; each waiting client gets its 100 when a slot frees, in order', async (t) => {
  const N = 2
  const k = 3
  const server = await uploadApp(t, { maxConcurrentUploads: N, admissionTimeout: 10_000 })
  const order: number[] = []
  const exchanges = Array.from({ length: N + k }, async (_, i) => {
    await new Promise((resolve) => setTimeout(resolve, i * 20)) // arrival order
    const result = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
    order.push(i)
    return result
  })
  await until(t, 'N bodies held', () => server.held.length === N)
  await until(t, 'k waiting', () => server.app.expectAdmission.queued === k)
  t.same({ inUse: server.app.expectAdmission.inUse, queued: server.app.expectAdmission.queued, limit: server.app.expectAdmission.limit }, { inUse: N, queued: k, limit: N })
  t.equal(server.received.length, N, 'only N bodies received')
  for (let released = 0; released < k; released++) {
    server.releaseOne()
    await until(t, `body ${N + released + 1} arrives`, () => server.held.length === N && server.received.length === N + released + 1)
    t.ok(server.maxInFlight() <= N, `at most ${N} bodies in flight (saw ${server.maxInFlight()})`)
  }
  while (server.held.length > 0) server.releaseOne()
  const results = await Promise.all(exchanges)
  for (const r of results) {
    t.equal(r.status, 200)
    t.same(r.informational, ['HTTP/1.1 100 Continue'])
  }
  t.equal(server.maxInFlight(), N, `bodies in flight at the sockets: at most ${N}`)
  t.same(order.slice(0, N), [0, 1], 'the first N answered first')
  const continued = results.map((r: { continueAt: number }) => r.continueAt)
  t.same([...continued].sort((a, b) => a - b), continued, 'the 100s went out in order of arrival')
  t.same(server.app.expectAdmission.inUse, 0)
})

t.test('after admissionTimeout a waiting client gets 503 with Retry-After and sends no body; logged and published as busy', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admissionTimeout: 300 })
  const messages: AdmissionMessage[] = []
  const onMessage = (m: unknown): void => { messages.push(m as AdmissionMessage) }
  diagnostics.subscribe(ADMISSION_CHANNEL, onMessage)
  t.teardown(() => diagnostics.unsubscribe(ADMISSION_CHANNEL, onMessage))
  const first = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'one body held', () => server.held.length === 1)
  const before = server.bytesRead()
  const waiting = await Promise.all([1, 2].map(() => rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })))
  for (const r of waiting) {
    t.equal(r.status, 503)
    t.same(r.informational, [], 'no 100')
    t.equal(r.bodyBytesSent, 0, 'the client sent no body byte')
    t.match(r.headers['retry-after'], /^[1-9]\d*$/, 'Retry-After in whole seconds')
    t.equal(r.headers.connection, 'close')
    t.match(JSON.parse(r.body), { statusCode: 503, code: 'FST_ERR_EXPECT_BUSY' })
  }
  t.ok(server.bytesRead() - before < 2 * 1024, 'the server read heads only')
  t.equal(server.received.length, 1)
  const busy = server.logs.filter((l) => l.expect?.reason === 'busy')
  t.equal(busy.length, 2, 'one log line per refusal')
  t.match(busy[0], { expect: { verdict: 'refused', reason: 'busy', statusCode: 503, declaredLength: BODY.length } })
  t.equal(server.logs.filter((l) => /already sent/i.test(String(l.msg)) || l.err?.code === 'FST_ERR_REP_ALREADY_SENT').length, 0, 'no second answer attempted')
  t.same(messages.map((m) => m.event), ['admitted', 'busy', 'busy'])
  t.ok(messages.slice(1).every((m) => m.waitMs > 0 && typeof m.retryAfter === 'number'), 'busy after a wait, with its Retry-After')
  server.releaseOne()
  t.equal((await first).status, 200)
  await until(t, 'slot back', () => server.app.expectAdmission.inUse === 0)
  // A retry now gets its slot at once.
  const retry = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length, '').replace('X-Hold: 1\r\n', ''), body: BODY, timeoutMs: 20_000 })
  t.equal(retry.status, 200)
  t.same(retry.informational, ['HTTP/1.1 100 Continue'])
})

t.test('expectationOf(request).admissionWait: 0 for a free slot, the wait for a queued one', async (t) => {
  const waits: Array<number | undefined> = []
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admissionTimeout: 5000 }, (app) => {
    app.addHook('onResponse', async (request) => { waits.push(expectationOf(request).admissionWait) })
    app.put('/nothing', async (request) => ({ wait: expectationOf(request).admissionWait ?? null }))
  })
  const first = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'held', () => server.held.length === 1)
  const second = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length).replace('X-Hold: 1\r\n', ''), body: BODY, timeoutMs: 10_000 })
  await until(t, 'queued', () => server.app.expectAdmission.queued === 1)
  await new Promise((resolve) => setTimeout(resolve, 100))
  server.releaseOne()
  t.equal((await first).status, 200)
  t.equal((await second).status, 200)
  t.equal(waits[0], 0)
  t.ok(typeof waits[1] === 'number' && (waits[1] as number) >= 100, `the second waited (${waits[1]} ms)`)
})

t.test('a route\'s own maxConcurrentUploads: its own slots; config.expect: false: none', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 5, admissionTimeout: 200 })
  const head = (path: string): string => uploadHead(server.port, BODY.length).replace('/upload', path)
  const first = rawRequest({ port: server.port, head: head('/own'), body: BODY, timeoutMs: 10_000 })
  await until(t, 'held', () => server.held.length === 1)
  t.same(server.app.expectAdmission.routes['PUT /own'], { limit: 1, inUse: 1, queued: 0 })
  t.equal(server.app.expectAdmission.inUse, 0, 'not counted in the server\'s slots')
  const second = await rawRequest({ port: server.port, head: head('/own'), body: BODY, timeoutMs: 20_000 })
  t.equal(second.status, 503, 'the route\'s one slot is taken')
  const other = rawRequest({ port: server.port, head: head('/upload'), body: BODY, timeoutMs: 20_000 })
  await until(t, 'the server\'s slots still free', () => server.held.length === 2)
  t.equal(server.app.expectAdmission.inUse, 1)
  const free = Array.from({ length: 7 }, () => rawRequest({ port: server.port, head: head('/free'), body: BODY, timeoutMs: 20_000 }))
  await until(t, 'no limit on /free', () => server.held.length === 9)
  while (server.held.length > 0) server.releaseOne()
  t.equal((await first).status, 200)
  t.equal((await other).status, 200)
  for (const r of await Promise.all(free)) t.equal(r.status, 200)
})
