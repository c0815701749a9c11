// Requests pipelined behind an expectation request wait for its answer, and
// while they wait the server stops reading: a client cannot make it hold an
// unbounded number of requests.
import t from 'tap'
import { listen, openConnection, until } from '../../helpers/server'
import { head } from '../../helpers/raw-client'

t.test('a flood pipelined behind an expectation request is not read while it waits', async (t) => {
  let release: () => void = () => {}
  const pending = new Promise<void>((resolve) => { release = resolve })
  let pings = 0
  const server = await listen(t, (app) => {
    app.put('/slow', async () => { await pending; return 'slow done' })
    app.get('/ping', async () => { pings++; return 'pong' })
  }, { server: { logger: false } }) // 40,000 requests: no log (this test reads none), not 80,000 lines parsed
  const flood = Buffer.from(head('GET /ping HTTP/1.1', { host: 'x' }).repeat(40000)) // about 1.3 MB
  // The event to wait for: the server's side of the connection stops reading.
  let paused = false
  server.app.server.once('connection', (serverSocket: import('node:net').Socket) => { serverSocket.once('pause', () => { paused = true }) })
  const { socket, received } = await openConnection(server.port)
  t.teardown(() => socket.destroy())
  socket.write(head('PUT /slow HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 2 }))
  await until(t, 'the 100', () => received().includes('100 Continue'))
  socket.write('ok')
  socket.write(flood)
  await until(t, 'the server stops reading', () => paused)
  t.equal(pings, 0, 'nothing behind the expectation request ran yet')
  t.ok(server.bytesRead() < 256 * 1024, `the server stopped reading: ${server.bytesRead()} of ${flood.length} bytes read`)
  release()
  await until(t, 'the first pong', () => received().includes('pong'))
  const slow = received().indexOf('slow done')
  t.ok(slow !== -1 && slow < received().indexOf('pong'), 'answered in order: the expectation request first')
  // And the server reads again: the whole flood gets through, far more than one chunk held.
  t.ok(await until(t, 'the whole flood answered', () => pings === 40000, 60_000), 'reading resumed after the answer')
})

t.test('an upgrade pipelined behind an expectation request takes the connection over, as Node does', async (t) => {
  const server = await listen(t, (app) => {
    app.put('/up', async (request) => {
      for await (const chunk of request.raw) if (chunk === null) break // drains the body
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
  const { socket, received } = await openConnection(server.port) // the upgrade handler ends it
  t.teardown(() => socket.destroy())
  socket.write(head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 2 }))
  await until(t, 'the 100', () => received().includes('100 Continue'))
  socket.write('ok' + head('GET /socket HTTP/1.1', { host: 'x', upgrade: 'test', connection: 'Upgrade' }))
  t.equal(await upgraded, '/socket')
})

t.test('a kept-alive connection idle after an accepted upload keeps nothing of that request alive', async (t) => {
  const v8 = await import('node:v8')
  const vm = await import('node:vm')
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  let ref: WeakRef<object> | undefined
  const server = await listen(t, (app) => {
    app.put('/x', async (request) => { ref = new WeakRef(request.raw); return 'ok' })
  })
  const c = await openConnection(server.port)
  t.teardown(() => c.socket.destroy())
  c.socket.write(head('PUT /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 5 }))
  await until(t, 'the 100', () => c.received().includes('100 Continue'))
  c.socket.write('hello')
  await until(t, 'the answer', () => c.received().endsWith('ok'))
  // The connection stays open and idle: nothing of the plugin's may hold the request.
  for (let i = 0; i < 5 && ref?.deref() !== undefined; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  t.equal(ref?.deref(), undefined, 'the request was collected while its connection idles')
  t.equal(c.socket.destroyed, false, 'the connection is still open')
})
