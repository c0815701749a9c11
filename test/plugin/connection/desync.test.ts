// No desync: once a request with a body is answered before its body was read,
// nothing the client sends afterwards on that connection is ever parsed as a
// request. And pipelined requests behind an expectation are answered in order
// or not at all, never with each other's responses. Raw sockets, every byte
// of the answer parsed.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { listen, openConnection, type Listening } from '../../helpers/server'
import { head } from '../../helpers/raw-client'
import { parseResponses } from '../../helpers/responses'

/** A connection: write, wait for a number of responses or for the server to close. */
async function connection (port: number) {
  const { socket, received, closed } = await openConnection(port, { allowHalfOpen: true })
  const waitFor = async (check: () => boolean, bound = 5000): Promise<void> => {
    const end = Date.now() + bound
    while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return {
    socket,
    write: (data: string | Buffer) => new Promise<void>((resolve) => { socket.write(data, () => resolve()) }),
    responses: () => parseResponses(received()).responses,
    until: waitFor,
    /** Waits until `count` final responses came back (or a bound passed). */
    finals: async (count: number) => { await waitFor(() => parseResponses(received()).responses.filter((r) => r.status >= 200).length >= count) },
    /** Waits until the server has closed the connection and the socket is gone. */
    closed: async () => {
      socket.end()
      await waitFor(closed, 10_000)
      return closed()
    }
  }
}

/** GET /count, as many times as asked: valid requests, to be found inside bodies. */
const smuggled = (n: number): string => Array(n).fill(head('GET /count HTTP/1.1', { host: 'x' })).join('')

async function counting (t: Test): Promise<Listening & { count: () => number, dispatched: () => number, ran: string[] }> {
  let count = 0
  let dispatched = 0
  const ran: string[] = []
  const server = await listen(t, (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization === 'no') return reply.code(401).send({ error: 'no' })
    })
    app.get('/count', async () => ++count)
    app.post('/csv-only', { config: { expect: { contentTypes: ['text/csv'] } } }, async () => 'accepted')
    app.post('/small', { bodyLimit: 10 }, async () => 'accepted')
    app.post('/echo', async (request) => request.body)
    app.get('/a', async () => { ran.push('a'); return 'a' })
    app.get('/b', async () => { ran.push('b'); return 'b' })
  })
  // Every request Node hands to Fastify (expectation requests included, the plugin emits them).
  server.app.server.on('request', () => { dispatched++ })
  return Object.assign(server, { count: () => count, dispatched: () => dispatched, ran })
}

const rejections: Array<{ name: string, path: string, headers: Record<string, string>, status: number }> = [
  { name: '415 (content type)', path: '/csv-only', headers: { expect: '100-continue', 'content-type': 'application/json' }, status: 415 },
  { name: '413 (size)', path: '/small', headers: { expect: '100-continue', 'content-type': 'application/json' }, status: 413 },
  { name: '401 (auth hook)', path: '/echo', headers: { expect: '100-continue', 'content-type': 'application/json', authorization: 'no' }, status: 401 },
  { name: '404 (no route)', path: '/nowhere', headers: { expect: '100-continue', 'content-type': 'application/json' }, status: 404 },
  { name: '417 (unknown expectation)', path: '/echo', headers: { expect: 'x-fast', 'content-type': 'application/json' }, status: 417 },
  { name: '413 without Expect (Fastify, Content-Length over the limit)', path: '/small', headers: { 'content-type': 'application/json' }, status: 413 }
]

t.test('a body made of requests is never parsed as requests, whenever the client sends it', async (t) => {
  const server = await counting(t)
  const body = smuggled(20)
  let connections = 0
  for (const r of rejections) {
    const requestHead = head(`POST ${r.path} HTTP/1.1`, { host: 'x', 'content-length': body.length, ...r.headers })
    // 1. The client waits for the answer, then sends the body anyway.
    // 2. The client sends head and body at once.
    // 3. The client drops the body and sends requests, as if the connection could be reused.
    // 4. The client sends the body, then more requests after it.
    for (const how of ['after the answer', 'at once', 'requests instead of the body', 'body, then requests']) {
      connections++
      const c = await connection(server.port)
      if (how === 'at once') {
        await c.write(requestHead + body)
      } else {
        await c.write(requestHead)
        await c.finals(1)
        if (how === 'after the answer') await c.write(body)
        if (how === 'requests instead of the body') await c.write(smuggled(5))
        if (how === 'body, then requests') await c.write(body + smuggled(5))
      }
      t.ok(await c.closed(), `${r.name}, ${how}: the server closed the connection`)
      const responses = c.responses()
      t.same(responses.map((x) => x.status), [r.status], `${r.name}, ${how}: one answer, the refusal, and nothing else`)
      t.equal(responses[0]?.headers.connection, 'close')
    }
  }
  t.equal(server.count(), 0, 'GET /count never ran')
  // 417s are answered at the server event, before Fastify; every other refusal, by Fastify.
  const answeredByServer = 4
  t.equal(server.dispatched(), connections - answeredByServer, 'one request per connection reached Fastify, save the 417s')
})

t.test('a chunked body made of requests is not parsed as requests either', async (t) => {
  const server = await counting(t)
  const inner = smuggled(10)
  const chunked = `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`
  for (const how of ['after the answer', 'at once']) {
    const c = await connection(server.port)
    const requestHead = head('POST /csv-only HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    if (how === 'at once') await c.write(requestHead + chunked)
    else {
      await c.write(requestHead)
      await c.finals(1)
      await c.write(chunked + smuggled(3))
    }
    t.ok(await c.closed())
    t.same(c.responses().map((x) => x.status), [415], how)
  }
  t.equal(server.count(), 0)
})

t.test('pipelined requests behind an accepted expectation are answered in order', async (t) => {
  const server = await counting(t)
  const body = JSON.stringify({ n: 1 })
  const upload = head('POST /echo HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': body.length })
  const next = head('GET /a HTTP/1.1', { host: 'x' }) + head('GET /b HTTP/1.1', { host: 'x' })
  // A client that waits for the 100, then sends the body with two more requests behind it.
  const waiting = await connection(server.port)
  await waiting.write(upload)
  await waiting.until(() => waiting.responses().length > 0)
  t.same(waiting.responses().map((r) => r.status), [100])
  await waiting.write(body + next)
  await waiting.finals(3)
  t.same(waiting.responses().map((r) => [r.status, r.body]), [[100, ''], [200, body], [200, 'a'], [200, 'b']])
  waiting.socket.destroy()
  // A client that sends it all at once: at most one 100, then the three answers in order.
  const eager = await connection(server.port)
  await eager.write(upload + body + next)
  await eager.finals(3)
  const finals = eager.responses().filter((r) => r.status >= 200).map((r) => [r.status, r.body])
  t.same(finals, [[200, body], [200, 'a'], [200, 'b']])
  t.ok(eager.responses().filter((r) => r.status === 100).length <= 1)
  // The connection was paused while they were held: it reads again, and serves the next request.
  await eager.write(head('GET /b HTTP/1.1', { host: 'x' }))
  await eager.finals(4)
  t.same(eager.responses().filter((r) => r.status >= 200).map((r) => r.body), [body, 'a', 'b', 'b'], 'a request sent after them is answered')
  eager.socket.destroy()
  t.same(server.ran, ['a', 'b', 'a', 'b', 'b'], 'each ran once, in order')
})

t.test('pipelined requests behind a refused expectation are not answered, and never with the wrong answer', async (t) => {
  const server = await counting(t)
  const body = JSON.stringify({ n: 1 })
  const refused = head('POST /csv-only HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': body.length })
  const next = head('GET /a HTTP/1.1', { host: 'x' }) + head('GET /b HTTP/1.1', { host: 'x' })
  for (const how of ['all at once', 'after the answer']) {
    const c = await connection(server.port)
    if (how === 'all at once') await c.write(refused + body + next)
    else {
      await c.write(refused)
      await c.finals(1)
      await c.write(body + next)
    }
    t.ok(await c.closed())
    t.same(c.responses().map((r) => [r.status, r.headers.connection]), [[415, 'close']], `${how}: only the refusal, then the connection ends`)
  }
  t.same(server.ran, [], 'and the requests behind it never ran')
})
