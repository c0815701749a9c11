// Requests pipelined behind an expectation request, attacked over a raw socket:
// however many requests a client pipelines behind it, the server reads a bounded
// amount while they wait; any number of expectation requests in one write are all
// answered, in order, and the connection goes on serving.
import t, { type Test } from 'tap'
import { listen, openConnection, until, type Listening } from '../../helpers/server'
import { head } from '../../helpers/raw-client'

/** What plain Fastify reads from such a connection is about 0.1 MiB; a chunk or two more is still bounded. */
const READ_BOUND = 512 * 1024

const ping = head('GET /ping HTTP/1.1', { host: 'x' })
const statusLines = (text: string): string[] => text.match(/HTTP\/1\.1 \d{3}/g) ?? []

/** Waits until the server has read nothing new for a while (or has read past `bound`): it stopped reading. */
async function settled (t: Test, server: Listening, bound: number): Promise<void> {
  let last = -1
  await until(t, 'the server stops reading', async () => {
    const now = server.bytesRead()
    if (now > bound) return true
    const quiet = now === last
    last = now
    await new Promise((resolve) => setTimeout(resolve, 250))
    return quiet && server.bytesRead() === now
  }, 30_000)
}

t.test('a flood behind a slow request and a bodyless expectation request is not read while it waits', async (t) => {
  let release: () => void = () => {}
  const pending = new Promise<void>((resolve) => { release = resolve })
  let pings = 0
  const server = await listen(t, (app) => {
    app.get('/slow', async () => { await pending; return 'slow done' })
    app.get('/first', async () => 'first')
    app.get('/ping', async () => { pings++; return 'pong' })
  })
  const { socket, received } = await openConnection(server.port)
  t.teardown(() => socket.destroy())
  // One write: the slow request, an expectation GET without a body, then pipelined GETs.
  socket.write(head('GET /slow HTTP/1.1', { host: 'x' }) + head('GET /first HTTP/1.1', { host: 'x', expect: '100-continue' }) + ping.repeat(2000))
  // Then more, as fast as the socket takes it, up to a bounded total.
  const flood = Buffer.from(ping.repeat(2048)) // 56 KiB a write
  let sent = 0
  const total = 4 * 1024 * 1024
  while (sent < total && !socket.destroyed) {
    sent += flood.length
    if (!socket.write(flood)) break
  }
  await settled(t, server, READ_BOUND)
  t.ok(server.bytesRead() <= READ_BOUND, `bytes read while requests wait: ${server.bytesRead()} (client wrote ${sent + 2000 * ping.length})`)
  t.equal(pings, 0, 'nothing behind the expectation request ran yet')
  release()
  // A liveness bound, generous: 4 MiB of pipelined requests are parsed first on a loaded machine.
  await until(t, 'a request behind the expectation request answered', () => received().includes('pong'), 60_000)
  const lines = statusLines(received())
  t.same(lines.slice(0, 3), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200'], 'no 100, no error')
  const order = ['slow done', 'first', 'pong'].map((text) => received().indexOf(text))
  t.same(order, [...order].sort((a, b) => a - b), 'answered in order')
  socket.destroy()
})

t.test('two expectation uploads in one write are both answered and the connection goes on serving', async (t) => {
  const server = await listen(t, (app) => {
    app.put('/up', async (request) => `got ${String(request.body)}`)
    app.get('/ping', async () => 'pong')
  })
  const { socket, received } = await openConnection(server.port)
  t.teardown(() => socket.destroy())
  const upload = head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 5 }) + 'hello'
  socket.write(upload + upload)
  await until(t, 'both uploads answered', () => received().split('got hello').length === 3)
  socket.write(ping)
  await until(t, 'a later request on the same connection answered', () => received().includes('pong'))
  t.notOk(socket.destroyed, 'the connection is still open')
})

t.test('many pipelined expectation requests, with and without bodies, are answered in order', async (t) => {
  const server = await listen(t, (app) => {
    app.put('/up/:id', async (request) => `up ${(request.params as { id: string }).id} ${String(request.body)};`)
    app.get('/get/:id', async (request) => `get ${(request.params as { id: string }).id};`)
    app.get('/ping', async () => 'pong')
  })
  const { socket, received } = await openConnection(server.port)
  t.teardown(() => socket.destroy())
  const expected: string[] = []
  let all = ''
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 0) {
      all += head(`GET /get/${i} HTTP/1.1`, { host: 'x', expect: '100-continue' })
      expected.push(`get ${i};`)
    } else if (i % 3 === 1) {
      all += head(`PUT /up/${i} HTTP/1.1`, { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 3 }) + 'abc'
      expected.push(`up ${i} abc;`)
    } else {
      all += head(`GET /get/${i} HTTP/1.1`, { host: 'x' })
      expected.push(`get ${i};`)
    }
  }
  socket.write(all)
  await until(t, 'every request answered', () => received().includes(expected[expected.length - 1] as string))
  const bodies = received().match(/(get|up) \d+( abc)?;/g) ?? []
  t.same(bodies, expected, 'in order')
  socket.write(ping)
  await until(t, 'the connection goes on serving', () => received().includes('pong'))
})
