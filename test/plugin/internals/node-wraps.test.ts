// Node's methods the plugin wraps once (plugin/internals/node.ts), seen from a client. writeHead:
// a final status to an expectation request that got no 100 closes its connection (Node's rule),
// unless the body was read in full before it (the framing is intact).
import t from 'tap'
import { countBytesRead, listen, openConnection, until } from '../../helpers/server'
import { head } from '../../helpers/raw-client'

const app = (app: import('fastify').FastifyInstance): void => {
  app.addHook('onRequest', async (request, reply) => {
    await new Promise((resolve) => setTimeout(resolve, 20))
    if (request.headers['x-deny'] !== undefined) return reply.code(401).send('no')
  })
  app.post('/x', async (request) => request.body)
}

t.test('writeHead: the body read in full before a final status, no 100 sent: the connection stays', async (t) => {
  const server = await listen(t, app)
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 5 }) + 'hello')
  await until(t, 'the answer', () => c.received().endsWith('hello'))
  t.notMatch(c.received(), /100 Continue/)
  t.match(c.received(), /\r\nconnection: keep-alive\r\n/i, 'kept')
})

t.test('writeHead: a final status before the body was read, no 100 sent: the connection closes', async (t) => {
  const server = await listen(t, app)
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'x-deny': '1', 'content-type': 'text/plain', 'content-length': 5 }))
  await until(t, 'the answer', () => c.received().endsWith('no'))
  t.match(c.received(), /^HTTP\/1\.1 401 /)
  t.match(c.received(), /\r\nconnection: close\r\n/i, 'what follows could be the body: closed')
})

t.test('destroySoon: an expectation refused before its body closes in stages, what the client still sends is read and dropped', async (t) => {
  const server = await listen(t, (app) => { app.put('/small', { bodyLimit: 1000 }, async () => 'never') }, { plugin: { lingerTimeout: 60_000 } })
  const read = countBytesRead(server.app.server)
  const c = await openConnection(server.port, { allowHalfOpen: true })
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('PUT /small HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': 5000 }))
  await until(t, 'the refusal', () => /^HTTP\/1\.1 413 /.test(c.received()) && c.received().endsWith('}'))
  // A client that sends its body anyway: Node's own close would reset it; the staged close reads it.
  const before = read.bytesRead()
  c.socket.write(Buffer.alloc(64 * 1024, 0x61))
  t.ok(await until(t, 'the connection, closing in stages, read what followed', () => read.bytesRead() - before >= 64 * 1024), 'read and dropped, not reset')
})
