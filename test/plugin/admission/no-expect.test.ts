// Requests without Expect: at capacity, 503 before their body is read
// (admission: 'refuse', the default), or their connection is not read until a
// slot frees or the timeout passes ('queue'). With the feature off they meet
// nothing of it.
import t from 'tap'
import { listen, openConnection, until, MiB } from '../../helpers/server'
import { uploadApp, uploadHead } from './helpers'
const { rawRequest } = require('../../helpers/raw-client.js')

const BODY = Buffer.alloc(1 * MiB, 7)
const BIG = Buffer.alloc(16 * MiB, 7)
const plainHead = (port: number, bytes: number, hold = false): string =>
  uploadHead(port, bytes).replace('Expect: 100-continue\r\n', '').replace('X-Hold: 1\r\n', hold ? 'X-Hold: 1\r\n' : '')

t.test('refuse (default): 503 with Retry-After before the body is read, the connection closed', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1 })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const r = await rawRequest({ port: server.port, head: plainHead(server.port, BODY.length), body: BODY, sendBody: 'now', timeoutMs: 20_000 })
  t.equal(r.status, 503)
  t.match(r.headers['retry-after'], /^[1-9]\d*$/)
  t.equal(r.headers.connection, 'close')
  t.match(JSON.parse(r.body), { code: 'FST_ERR_EXPECT_BUSY' })
  t.equal(server.received.length, 1, 'its body was not parsed')
  t.match(server.logs.find((l) => l.expect?.reason === 'busy'), { expect: { verdict: 'refused', statusCode: 503, declaredLength: BODY.length } })
  server.releaseOne()
  t.equal((await holder).status, 200)
  const after = await rawRequest({ port: server.port, head: plainHead(server.port, BODY.length), body: BODY, sendBody: 'now', timeoutMs: 20_000 })
  t.equal(after.status, 200, 'a free slot: admitted')
  t.equal(server.app.expectAdmission.inUse, 0)
})

t.test('queue: the connection is not read while it waits, then the upload goes through', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admission: 'queue', admissionTimeout: 10_000 })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const connection = await openConnection(server.port)
  let written = 0
  connection.socket.write(plainHead(server.port, BIG.length))
  const write = (): void => {
    while (written < BIG.length) {
      const chunk = BIG.subarray(written, written + 64 * 1024)
      written += chunk.length
      if (!connection.socket.write(chunk)) { connection.socket.once('drain', write); return }
    }
  }
  write()
  await until(t, 'queued', () => server.app.expectAdmission.queued === 1)
  const read1 = server.bytesRead()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const read2 = server.bytesRead()
  t.equal(read2, read1, 'nothing read from the waiting connection')
  t.ok(written < BIG.length, `the client is held back by TCP (${(written / MiB).toFixed(1)} of 16 MiB written)`)
  t.equal(server.received.length, 1)
  server.releaseOne()
  t.equal((await holder).status, 200)
  await until(t, 'the queued upload answered', () => /HTTP\/1\.1 200/.test(connection.received()))
  t.same(server.received, [BODY.length, BIG.length], 'then its whole body was read')
  connection.socket.destroy()
  await until(t, 'slots back', () => server.app.expectAdmission.inUse === 0)
})

t.test('queue: after admissionTimeout, 503 with Retry-After; what was sent is never parsed', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admission: 'queue', admissionTimeout: 300 })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const r = await rawRequest({ port: server.port, head: plainHead(server.port, BIG.length), body: BIG, sendBody: 'now', timeoutMs: 20_000 })
  t.equal(r.status, 503)
  t.match(r.headers['retry-after'], /^[1-9]\d*$/)
  t.equal(r.headers.connection, 'close')
  t.equal(server.received.length, 1)
  server.releaseOne()
  t.equal((await holder).status, 200)
  await until(t, 'slots back', () => server.app.expectAdmission.inUse === 0 && server.app.expectAdmission.queued === 0)
})

t.test('queue: a waiting client that closes leaves the queue, at the latest when its wait times out (its connection is not read)', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admission: 'queue', admissionTimeout: 400 })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const connection = await openConnection(server.port)
  connection.socket.write(plainHead(server.port, BODY.length))
  connection.socket.write(BODY.subarray(0, 1000))
  await until(t, 'queued', () => server.app.expectAdmission.queued === 1)
  connection.socket.destroy()
  await until(t, 'left the queue', () => server.app.expectAdmission.queued === 0)
  t.equal(server.app.expectAdmission.inUse, 1, 'it never took the slot')
  server.releaseOne()
  t.equal((await holder).status, 200)
  await until(t, 'slot back', () => server.app.expectAdmission.inUse === 0)
  t.same(server.received, [BODY.length])
})

t.test('off by default: no slot hook on any route; requests without Expect meet nothing', async (t) => {
  const hooked: string[] = []
  const server = await listen(t, (app) => {
    app.addHook('onRoute', (route) => {
      if ([route.onRequest ?? []].flat().some((h) => (h as { name?: string }).name === 'fastifyExpectSlots')) hooked.push(route.url)
    })
    app.put('/upload', async () => 'ok')
    app.put('/own', { config: { expect: { maxConcurrentUploads: 1 } } }, async () => 'ok')
  })
  t.same(hooked, ['/own'], 'only the route with its own slots')
  t.same({ ...server.app.expectAdmission, routes: undefined }, { limit: undefined, inUse: 0, queued: 0, routes: undefined }, 'the getter says: off server-wide')
  const many = await Promise.all(Array.from({ length: 6 }, () => rawRequest({ port: server.port, head: plainHead(server.port, BODY.length).replace('application/octet-stream', 'text/plain'), body: BODY, sendBody: 'now', timeoutMs: 20_000 })))
  for (const r of many) t.equal(r.status, 200)
})

t.test('on: the hook only on routes with slots, and bodiless requests pass it untouched', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1 }, (app) => { app.get('/ping', async () => 'pong') })
  const hooks = server.app.printRoutes({ includeHooks: true, commonPrefix: false })
  t.match(hooks, /\/upload[^]*fastifyExpectSlots/)
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const ping = await rawRequest({ port: server.port, head: 'GET /ping HTTP/1.1\r\nHost: x\r\n\r\n' })
  t.equal(ping.status, 200, 'a GET is not an upload')
  server.releaseOne()
  t.equal((await holder).status, 200)
})
