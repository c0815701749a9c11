// Requests pipelined behind an expectation request wait for its answer, and
// while they wait the server stops reading: a client cannot make it hold an
// unbounded number of requests.
import t from 'tap'
import net from 'node:net'
import { listen } from './helpers/server'
import { head } from '../examples/lib/raw-client'

t.test('a flood pipelined behind an expectation request is not read while it waits', async (t) => {
  let release: () => void = () => {}
  const pending = new Promise<void>((resolve) => { release = resolve })
  let pings = 0
  const server = await listen(t, (app) => {
    app.put('/slow', async () => { await pending; return 'slow done' })
    app.get('/ping', async () => { pings++; return 'pong' })
  })
  const flood = Buffer.from(head('GET /ping HTTP/1.1', { host: 'x' }).repeat(40000)) // about 1.3 MB
  const socket = net.connect(server.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.on('data', (chunk) => { received += chunk.toString('latin1') })
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(head('PUT /slow HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 2 }))
  while (!received.includes('100 Continue')) await new Promise((resolve) => setTimeout(resolve, 5))
  socket.write('ok')
  socket.write(flood)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(pings, 0, 'nothing behind the expectation request ran yet')
  t.ok(server.bytesRead() < 256 * 1024, `the server stopped reading: ${server.bytesRead()} of ${flood.length} bytes read`)
  release()
  while (!received.includes('pong')) await new Promise((resolve) => setTimeout(resolve, 5))
  const slow = received.indexOf('slow done')
  t.ok(slow !== -1 && slow < received.indexOf('pong'), 'answered in order: the expectation request first')
  // And the server reads again: the whole flood gets through, far more than one chunk held.
  while (pings < 40000) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(pings, 40000, 'reading resumed after the answer')
})

t.test('an upgrade pipelined behind an expectation request takes the connection over, as Node does', async (t) => {
  const server = await listen(t, (app) => {
    app.put('/up', async (request) => {
      for await (const chunk of request.raw) void chunk
      return 'uploaded'
    })
  })
  const upgraded = new Promise<string>((resolve) => {
    server.app.server.on('upgrade', (request, socket) => {
      socket.on('error', () => {})
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n')
      resolve(request.url ?? '')
    })
  })
  const socket = net.connect(server.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.on('data', (chunk) => { received += chunk.toString('latin1') })
  socket.on('error', () => {}) // the upgrade handler ends the connection
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 2 }))
  while (!received.includes('100 Continue')) await new Promise((resolve) => setTimeout(resolve, 5))
  socket.write('ok' + head('GET /socket HTTP/1.1', { host: 'x', upgrade: 'test', connection: 'Upgrade' }))
  t.equal(await upgraded, '/socket')
})
