// HTTP/2 (cleartext, Node's client): the same slots per stream. A stream waiting
// for its slot holds nothing else (the session serves other streams), and leaves
// the queue when its client cancels it.
import t, { type Test } from 'tap'
import http2 from 'node:http2'
import { until, MiB } from '../../helpers/server'
import { uploadApp, type UploadApp } from './helpers'

const BODY = Buffer.alloc(1 * MiB, 7)

interface Outcome { status: number, continued: boolean, body: string, headers: http2.IncomingHttpHeaders, error: string | undefined, sent: number }

function put (session: http2.ClientHttp2Session, options: { expect: boolean, hold?: boolean, body?: Buffer }): { stream: http2.ClientHttp2Stream, done: Promise<Outcome> } {
  const body = options.body ?? BODY
  const headers: http2.OutgoingHttpHeaders = { ':method': 'PUT', ':path': '/upload', 'content-type': 'application/octet-stream', 'content-length': body.length }
  if (options.expect) headers.expect = '100-continue'
  if (options.hold === true) headers['x-hold'] = '1'
  const stream = session.request(headers)
  const outcome: Outcome = { status: 0, continued: false, body: '', headers: {}, error: undefined, sent: 0 }
  const send = (): void => { outcome.sent = body.length; stream.end(body) }
  if (options.expect) stream.on('continue', () => { outcome.continued = true; send() })
  else send()
  stream.on('response', (h) => { outcome.status = Number(h[':status']); outcome.headers = h })
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => { outcome.body += chunk })
  stream.on('error', (err: NodeJS.ErrnoException) => { outcome.error = err.code })
  const done = new Promise<Outcome>((resolve) => stream.on('close', () => resolve(outcome)))
  return { stream, done }
}

async function h2app (t: Test, plugin: Record<string, unknown>): Promise<{ server: UploadApp, session: http2.ClientHttp2Session }> {
  const server = await uploadApp(t, plugin, undefined, { http2: true })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  session.on('error', () => {})
  t.teardown(() => { session.destroy() })
  return { server, session }
}

t.test('N + k streams on one session: N bodies, the others get their 100 as slots free', async (t) => {
  const { server, session } = await h2app(t, { maxConcurrentUploads: 2, admissionTimeout: 10_000 })
  const puts = Array.from({ length: 4 }, () => put(session, { expect: true, hold: true }))
  await until(t, 'two held', () => server.held.length === 2)
  await until(t, 'two queued', () => server.app.expectAdmission.queued === 2)
  const ping = await new Promise<number>((resolve) => {
    const s = session.request({ ':method': 'GET', ':path': '/nothing' })
    s.on('response', (h) => resolve(Number(h[':status'])))
    s.resume()
  })
  t.equal(ping, 404, 'the session serves other streams meanwhile')
  t.equal(server.received.length, 2)
  server.releaseOne()
  await until(t, 'the third body arrives', () => server.received.length === 3)
  t.equal(server.app.expectAdmission.queued, 1)
  server.releaseOne()
  await until(t, 'the fourth', () => server.received.length === 4)
  server.releaseOne(); server.releaseOne()
  for (const o of await Promise.all(puts.map((p) => p.done))) {
    t.equal(o.status, 200)
    t.ok(o.continued)
  }
  await until(t, 'slots back', () => server.app.expectAdmission.inUse === 0)
})

t.test('a waiting stream the client cancels leaves the queue; a cancelled body gives its slot back', async (t) => {
  const { server, session } = await h2app(t, { maxConcurrentUploads: 1, admissionTimeout: 10_000 })
  const holder = put(session, { expect: true, hold: true })
  await until(t, 'held', () => server.held.length === 1)
  const waiting = put(session, { expect: true })
  await until(t, 'queued', () => server.app.expectAdmission.queued === 1)
  waiting.stream.close(http2.constants.NGHTTP2_CANCEL)
  await until(t, 'left the queue', () => server.app.expectAdmission.queued === 0)
  t.equal(server.app.expectAdmission.inUse, 1)
  t.notOk((await waiting.done).continued)
  // Mid-body: a stream that got its slot, sends half, and is cancelled.
  server.releaseOne()
  t.equal((await holder.done).status, 200)
  await until(t, 'free', () => server.app.expectAdmission.inUse === 0)
  const half = session.request({ ':method': 'PUT', ':path': '/upload', 'content-type': 'application/octet-stream', 'content-length': BODY.length, expect: '100-continue' })
  half.on('error', () => {})
  half.on('continue', () => { half.write(BODY.subarray(0, BODY.length / 2)) })
  await until(t, 'slot taken', () => server.app.expectAdmission.inUse === 1)
  half.close(http2.constants.NGHTTP2_CANCEL)
  await until(t, 'slot back after the cancel', () => server.app.expectAdmission.inUse === 0)
  const after = await put(session, { expect: true }).done
  t.equal(after.status, 200, 'the session goes on')
})

t.test('after admissionTimeout: 503 with Retry-After, no 100, no body sent', async (t) => {
  const { server, session } = await h2app(t, { maxConcurrentUploads: 1, admissionTimeout: 300 })
  const holder = put(session, { expect: true, hold: true })
  await until(t, 'held', () => server.held.length === 1)
  const refused = await put(session, { expect: true }).done
  t.equal(refused.status, 503)
  t.notOk(refused.continued)
  t.equal(refused.sent, 0)
  t.match(String(refused.headers['retry-after']), /^[1-9]\d*$/)
  t.match(JSON.parse(refused.body), { code: 'FST_ERR_EXPECT_BUSY' })
  server.releaseOne()
  t.equal((await holder.done).status, 200)
  await until(t, 'slot back', () => server.app.expectAdmission.inUse === 0)
})

t.test('without Expect: refuse answers 503 before reading; queue does not read the stream until a slot frees', async (t) => {
  const refuse = await h2app(t, { maxConcurrentUploads: 1 })
  const holder = put(refuse.session, { expect: true, hold: true })
  await until(t, 'held', () => refuse.server.held.length === 1)
  const refused = await put(refuse.session, { expect: false }).done
  t.equal(refused.status, 503)
  t.match(String(refused.headers['retry-after']), /^[1-9]\d*$/)
  t.equal(refuse.server.received.length, 1)
  refuse.server.releaseOne()
  t.equal((await holder.done).status, 200)

  const queue = await h2app(t, { maxConcurrentUploads: 1, admission: 'queue', admissionTimeout: 10_000 })
  const first = put(queue.session, { expect: true, hold: true })
  await until(t, 'held', () => queue.server.held.length === 1)
  const big = Buffer.alloc(8 * MiB, 1)
  const queued = put(queue.session, { expect: false, body: big })
  await until(t, 'queued', () => queue.server.app.expectAdmission.queued === 1)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const buffered = queued.stream.writableLength
  t.ok(buffered > 4 * MiB, `flow control holds the client back (${(buffered / MiB).toFixed(1)} MiB still unsent)`)
  queue.server.releaseOne()
  t.equal((await first.done).status, 200)
  const o = await queued.done
  t.equal(o.status, 200)
  t.same(queue.server.received, [BODY.length, big.length])
})
