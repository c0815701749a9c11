// The 100 is for a client that waits. One that started its body without waiting
// (RFC 9110 §10.1.1 lets the server take that as the answer) gets no 100, has
// its body read, and keeps its connection once the body is complete.
import t from 'tap'
import { head } from '../../helpers/raw-client'
import { listen, openConnection, openConnections, until } from '../../helpers/server'

t.test('a client that started its body without waiting: no 100, the body is read, the connection stays', async (t) => {
  let firstChunk = (): void => {}
  const started = new Promise<void>((resolve) => { firstChunk = resolve })
  const server = await listen(t, (app) => {
    app.addContentTypeParser('text/plain', (request, payload, done) => {
      const chunks: Buffer[] = []
      payload.on('data', (chunk: Buffer) => { chunks.push(chunk); firstChunk() })
      payload.on('end', () => { done(null, Buffer.concat(chunks).toString()) })
    })
    app.post('/x', async (request) => request.body)
  })
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  // The head and half the body in one write: the body has begun when the server reads the head.
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 10 }) + 'hello')
  await started // the first half was read: the plugin has decided by now
  c.socket.write('world')
  await until(t, 'the response', () => c.received().endsWith('\r\n\r\nhelloworld'))
  t.notMatch(c.received(), /100 Continue/, 'no 100 once the body has started')
  t.match(c.received(), /^HTTP\/1\.1 200 /)
  t.match(c.received(), /\r\nconnection: keep-alive\r\n/i, 'the body was read in full: the connection is still good')
  // And it is: a second request on it.
  const before = c.received().length
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', 'content-type': 'text/plain', 'content-length': 2 }) + 'ok')
  await until(t, 'the second response', () => c.received().slice(before).endsWith('\r\n\r\nok'))
  t.match(c.received().slice(before), /^HTTP\/1\.1 200 /)
})

t.test('a whole body sent with the head, read only after a slow hook: never a first read, and the connection stays', async (t) => {
  // The body and its end arrive while an onRequest hook waits: the stream has ended before anything
  // reads it, so no read ever reaches Node's _read (where the 100 would go). Node closes a connection
  // whose expectation got a final status without a 100, unless the body was read in full before it.
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async () => { await new Promise((resolve) => setTimeout(resolve, 20)) })
    app.post('/x', async (request) => request.body)
  })
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 10 }) + 'helloworld')
  await until(t, 'the response', () => c.received().endsWith('\r\n\r\nhelloworld'))
  t.notMatch(c.received(), /100 Continue/, 'the whole body came with the head: no 100')
  t.match(c.received(), /\r\nconnection: keep-alive\r\n/i, 'the body was read in full before the answer: the connection is still good')
  const before = c.received().length
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', 'content-type': 'text/plain', 'content-length': 2 }) + 'ok')
  await until(t, 'the second response', () => c.received().slice(before).endsWith('\r\n\r\nok'))
  t.match(c.received().slice(before), /^HTTP\/1\.1 200 /)
})

t.test('an empty chunked body sent with the head: complete before any read, so no 100', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/x', async (request) => ({ body: request.body ?? null }))
  })
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }) + '0\r\n\r\n')
  await until(t, 'the response', () => /\r\n\r\n[^]*\}$/.test(c.received()))
  t.notMatch(c.received(), /100 Continue/, 'the whole body came with the head')
  t.match(c.received(), /^HTTP\/1\.1 200 /)
})

t.test('a handler that answers before reading the body: no 100 inside its response', async (t) => {
  const server = await listen(t, (app) => {
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => { done(null) })
    app.put('/echo', async (request, reply) => {
      reply.hijack()
      reply.raw.writeHead(200, { 'content-type': 'text/plain' })
      reply.raw.write('started\n')
      let bytes = 0
      for await (const chunk of request.raw) bytes += (chunk as Buffer).length
      reply.raw.end(`${bytes} bytes\n`)
    })
  })
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('PUT /echo HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/octet-stream', 'content-length': 10 }))
  await until(t, 'the response begins', () => c.received().includes('started\n'))
  // The final status came first: this client sends its body anyway, and the handler reads it.
  c.socket.write('0123456789')
  await until(t, 'the response ends', () => c.received().endsWith('0\r\n\r\n'))
  t.match(c.received(), /^HTTP\/1\.1 200 /)
  t.notMatch(c.received(), /100 Continue/, 'a final status had begun: a 100 now would be wrong')
  t.match(c.received(), /10 bytes\n/)
})

t.test('once an accepted upload is answered, a later request on its connection owes it nothing: refused with its body unread, it closes as in plain Fastify', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => { if (request.headers['x-deny'] !== undefined) return reply.code(403).send('no') })
    app.post('/x', async (request) => request.body)
  }, { plugin: { lingerTimeout: 60_000 } })
  // Its own side kept open, as a client still sending its body does.
  const c = await openConnection(server.port, { allowHalfOpen: true })
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 5 }))
  await until(t, 'the 100', () => c.received().includes('100 Continue'))
  c.socket.write('hello')
  await until(t, 'the first answer', () => c.received().endsWith('hello'))
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', 'x-deny': '1', connection: 'close', 'content-type': 'text/plain', 'content-length': 1024 * 1024 }))
  await until(t, 'the refusal', () => /HTTP\/1\.1 403 /.test(c.received()))
  t.ok(await until(t, 'closed at once, not after the 60 s of a staged close', async () => await openConnections(server) === 0, 5000))
})
