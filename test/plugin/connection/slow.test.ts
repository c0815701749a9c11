// Slow and idle clients after a 100: the plugin asks for the body, so a client
// that then sends nothing, or sends it a byte at a time, must be ended by
// Fastify's own timeouts: connectionTimeout (idle socket) and requestTimeout
// (the whole request, checked every `http.connectionsCheckingInterval`). Node
// applies the larger of requestTimeout and its headersTimeout (60 s unless
// `http.headersTimeout` says otherwise) to the request, so a requestTimeout under
// a minute needs `http.headersTimeout` no larger than it: the tests set both. Each
// test checks what the client saw, that the server closed the socket, and that
// nothing is left open (server.getConnections() back to 0).
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { listen, openConnection, openConnections, until, type Listening, type RawConnection } from '../../helpers/server'
import { head, rawRequest } from '../../helpers/raw-client'

const routes = (app: FastifyInstance): void => {
  app.post('/upload', async (request) => ({ got: (request.body as string).length }))
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => done(null, body))
  app.get('/health', async () => 'ok')
}

/** Sends the head of a 1000-byte upload that expects 100; resolves once the 100 came. */
async function afterContinue (t: Test, port: number): Promise<RawConnection> {
  const connection = await openConnection(port)
  connection.socket.write(head('POST /upload HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 1000 }))
  await until(t, 'the 100', () => connection.received().startsWith('HTTP/1.1 100 Continue\r\n\r\n'))
  return connection
}

const errorsLogged = (server: Listening): unknown[] => server.logs.filter((l) => l.level >= 50)

t.test('a client that gets its 100 and never sends the body is ended by connectionTimeout', async (t) => {
  const server = await listen(t, routes, { server: { connectionTimeout: 300 } })
  const c = await afterContinue(t, server.port)
  t.ok(await until(t, 'the server closed the socket', c.closed, 5000))
  t.equal(c.received(), 'HTTP/1.1 100 Continue\r\n\r\n', 'the 100, then nothing: the socket was idle')
  t.ok(await until(t, 'nothing left open', async () => await openConnections(server) === 0))
  t.same(errorsLogged(server), [])
  t.equal((await rawRequest({ port: server.port, head: head('GET /health HTTP/1.1', { host: 'x' }) })).status, 200, 'the server answers others')
})

t.test('a body sent a byte at a time is ended by requestTimeout (it keeps connectionTimeout from firing)', async (t) => {
  const server = await listen(t, routes, {
    server: { connectionTimeout: 400, requestTimeout: 800, http: { headersTimeout: 800, connectionsCheckingInterval: 50 } } as object
  })
  const c = await afterContinue(t, server.port)
  let sent = 0
  const trickle = setInterval(() => {
    if (!c.closed() && sent < 1000) {
      c.socket.write('a')
      sent++
    }
  }, 50)
  t.teardown(() => clearInterval(trickle))
  t.ok(await until(t, 'the server closed the socket', c.closed, 10_000))
  clearInterval(trickle)
  t.ok(sent < 1000, `the body never finished (${sent} of 1000 bytes)`)
  t.match(c.received(), /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 408 Request Timeout\r\n/, 'then a 408 from the request timeout')
  t.ok(await until(t, 'nothing left open', async () => await openConnections(server) === 0))
  t.same(errorsLogged(server), [])
})

t.test('requestTimeout alone also ends a client that stops after the 100, or halfway', async (t) => {
  const server = await listen(t, routes, { server: { requestTimeout: 500, http: { headersTimeout: 500, connectionsCheckingInterval: 50 } } as object })
  for (const sendFirst of [0, 500]) {
    const c = await afterContinue(t, server.port)
    if (sendFirst > 0) c.socket.write('a'.repeat(sendFirst))
    t.ok(await until(t, 'the server closed the socket', c.closed, 10_000))
    t.match(c.received(), /HTTP\/1\.1 408 Request Timeout\r\n/, `${sendFirst} bytes, then nothing: 408`)
  }
  t.ok(await until(t, 'nothing left open', async () => await openConnections(server) === 0))
  t.same(errorsLogged(server), [])
})
