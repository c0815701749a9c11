// Staged close never outlives the server's own timeouts: a lingering connection
// ends at the earliest of lingerTimeout, the server's idle timeout
// (connectionTimeout) and its requestTimeout. Here lingerTimeout is a minute:
// each connection must close long before it.
import t from 'tap'
import net from 'node:net'
import { listen, MiB, openConnections, until } from '../../helpers/server'
import { head } from '../../helpers/raw-client'

const routes = (app: import('fastify').FastifyInstance): void => {
  app.put('/small', { bodyLimit: 1024 }, async () => 'never')
}
const uploadHead = head('PUT /small HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': MiB })

function connect (port: number): Promise<{ socket: net.Socket, received: () => string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let data = ''
    socket.on('data', (chunk: Buffer) => { data += chunk.toString('latin1') })
    socket.on('error', () => {})
    socket.once('connect', () => resolve({ socket, received: () => data }))
  })
}

t.test('an idle refused client is closed at connectionTimeout, not lingerTimeout', async (t) => {
  const server = await listen(t, routes, { plugin: { lingerTimeout: 60_000 }, server: { connectionTimeout: 300 } })
  const { socket, received } = await connect(server.port)
  t.teardown(() => socket.destroy())
  socket.write(uploadHead + '{"a":')
  await until(t, 'the 413', () => received().includes('413'))
  t.ok(await until(t, 'closed by the server', async () => await openConnections(server) === 0, 10_000), 'closed long before the minute of lingerTimeout')
})

t.test('a refused client that keeps sending is closed at requestTimeout, not lingerTimeout', async (t) => {
  const server = await listen(t, routes, { plugin: { lingerTimeout: 60_000 }, server: { requestTimeout: 500 } })
  const { socket, received } = await connect(server.port)
  t.teardown(() => socket.destroy())
  socket.write(uploadHead)
  await until(t, 'the 413', () => received().includes('413'))
  // Never idle: a byte every 50 ms, at most 20 s of it.
  let drips = 0
  const drip = setInterval(() => {
    if (socket.destroyed || socket.closed || ++drips > 400) clearInterval(drip)
    else socket.write('x')
  }, 50)
  t.teardown(() => clearInterval(drip))
  t.ok(await until(t, 'closed by the server', async () => await openConnections(server) === 0, 10_000), 'closed long before the minute of lingerTimeout')
})

t.test('without server timeouts, lingerTimeout still bounds it', async (t) => {
  const server = await listen(t, routes, { plugin: { lingerTimeout: 200 }, server: { connectionTimeout: 0, requestTimeout: 0 } })
  const { socket, received } = await connect(server.port)
  t.teardown(() => socket.destroy())
  socket.write(uploadHead)
  await until(t, 'the 413', () => received().includes('413'))
  t.ok(await until(t, 'closed by the server', async () => await openConnections(server) === 0, 10_000))
})
