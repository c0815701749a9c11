// A slot comes back after every kind of ending, exactly once: after each, the
// next upload gets its 100 at once and the count returns to 0 (a slot lost would
// leave it at 1 and queue the next; a slot given back twice would show as -1 or
// let two bodies in on one slot).
import t, { type Test } from 'tap'
import diagnostics from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { openConnection, until, MiB, type RawConnection } from '../../helpers/server'
import { uploadApp, uploadHead, type UploadApp } from './helpers'
import { ADMISSION_CHANNEL, type AdmissionMessage } from '../../../plugin/admission/admit'
const { rawRequest } = require('../../helpers/raw-client.js')

const BODY = Buffer.alloc(1 * MiB, 7)

async function app (t: Test, server: Record<string, unknown> = {}): Promise<UploadApp> {
  return uploadApp(t, { maxConcurrentUploads: 1, admissionTimeout: 5000 }, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
    })
    app.put('/reject', async () => { throw Object.assign(new Error('not this one'), { statusCode: 422 }) })
  }, server)
}

/** Sends the head, waits for the 100, sends half the body: the request holds its slot, mid-body. */
async function halfUpload (t: Test, server: UploadApp, path = '/upload'): Promise<RawConnection> {
  const connection = await openConnection(server.port)
  connection.socket.write(uploadHead(server.port, BODY.length).replace('/upload', path).replace('X-Hold: 1\r\n', ''))
  await until(t, '100', () => connection.received().includes('100 Continue'))
  connection.socket.write(BODY.subarray(0, BODY.length / 2))
  await until(t, 'slot taken', () => server.app.expectAdmission.inUse === 1)
  return connection
}

/** The slot is free again, and exactly one: the next two uploads take it one after the other. */
async function slotBack (t: Test, server: UploadApp): Promise<void> {
  await until(t, 'slot back', () => server.app.expectAdmission.inUse === 0)
  t.equal(server.app.expectAdmission.queued, 0)
  const first = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'next held', () => server.held.length === 1)
  const second = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the one after queued', () => server.app.expectAdmission.queued === 1)
  t.equal(server.app.expectAdmission.inUse, 1, 'one slot, not two')
  server.releaseOne()
  await until(t, 'second held', () => server.held.length === 1)
  server.releaseOne()
  for (const r of await Promise.all([first, second])) {
    t.equal(r.status, 200)
    t.same(r.informational, ['HTTP/1.1 100 Continue'])
  }
  await until(t, 'all back', () => server.app.expectAdmission.inUse === 0)
  const problems = server.logs.filter((l) => l.level >= 50 || l.err?.code === 'FST_ERR_REP_ALREADY_SENT')
  t.same(problems, [], 'no error logged, no second answer')
}

t.test('finished: the answer gives the slot back', async (t) => {
  const server = await app(t)
  const r = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length).replace('X-Hold: 1\r\n', ''), body: BODY, timeoutMs: 20_000 })
  t.equal(r.status, 200)
  await slotBack(t, server)
})

t.test('refused after its body was asked for (the handler throws): the slot comes back', async (t) => {
  const server = await app(t)
  const r = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length).replace('/upload', '/reject'), body: BODY, timeoutMs: 20_000 })
  t.equal(r.status, 422)
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  await slotBack(t, server)
})

t.test('refused before its body (an onRequest hook): no slot taken at all', async (t) => {
  const server = await app(t)
  const messages: AdmissionMessage[] = []
  const onMessage = (m: unknown): void => { messages.push(m as AdmissionMessage) }
  diagnostics.subscribe(ADMISSION_CHANNEL, onMessage)
  t.teardown(() => diagnostics.unsubscribe(ADMISSION_CHANNEL, onMessage))
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const r = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length, 'X-Token: bad\r\n'), body: BODY, timeoutMs: 20_000 })
  t.equal(r.status, 401, 'refused at once, not queued behind the held slot')
  t.equal(r.bodyBytesSent, 0)
  t.equal(messages.length, 1, 'only the holder met the slots')
  server.releaseOne()
  t.equal((await holder).status, 200)
  await slotBack(t, server)
})

t.test('aborted: the client closes mid-body', async (t) => {
  const server = await app(t)
  const connection = await halfUpload(t, server)
  connection.socket.destroy()
  await slotBack(t, server)
})

t.test('connection reset: the client resets mid-body (RST)', async (t) => {
  const server = await app(t)
  const connection = await halfUpload(t, server)
  ;(connection.socket as Socket & { resetAndDestroy (): void }).resetAndDestroy()
  await slotBack(t, server)
})

t.test('timed out: the server\'s idle timeout (connectionTimeout) ends a stalled upload', async (t) => {
  const server = await app(t, { connectionTimeout: 300 })
  const connection = await halfUpload(t, server)
  await until(t, 'the server closed the stalled connection', () => connection.closed())
  await slotBack(t, server)
})

t.test('a waiting client that gives up leaves the queue; the next in line gets the slot', async (t) => {
  const server = await app(t)
  const events: string[] = []
  const onMessage = (m: unknown): void => { events.push((m as AdmissionMessage).event) }
  diagnostics.subscribe(ADMISSION_CHANNEL, onMessage)
  t.teardown(() => diagnostics.unsubscribe(ADMISSION_CHANNEL, onMessage))
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const quitter = await openConnection(server.port)
  quitter.socket.write(uploadHead(server.port, BODY.length))
  await until(t, 'queued', () => server.app.expectAdmission.queued === 1)
  const next = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length).replace('X-Hold: 1\r\n', ''), body: BODY, timeoutMs: 10_000 })
  await until(t, 'two queued', () => server.app.expectAdmission.queued === 2)
  quitter.socket.destroy()
  await until(t, 'the quitter left the queue', () => server.app.expectAdmission.queued === 1)
  server.releaseOne()
  t.equal((await holder).status, 200)
  const r = await next
  t.equal(r.status, 200)
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(server.received.length, 2, 'the quitter\'s body never read')
  t.same(events.slice(0, 3), ['admitted', 'cancelled', 'admitted'], 'published: the holder, the quitter\'s cancelled wait, the next')
  await slotBack(t, server)
})

t.test('refused at capacity (503): it held no slot, the holder\'s slot comes back once', async (t) => {
  const server = await uploadApp(t, { maxConcurrentUploads: 1, admissionTimeout: 100 })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 10_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const r = await rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
  t.equal(r.status, 503)
  t.equal(server.app.expectAdmission.inUse, 1)
  server.releaseOne()
  t.equal((await holder).status, 200)
  await until(t, 'slot back', () => server.app.expectAdmission.inUse === 0)
})
