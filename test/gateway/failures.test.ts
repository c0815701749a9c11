// The gateway when the upstream misbehaves or the client leaves: bounded waits
// (continueTimeout, then timeout), 502/504, and nothing left behind: no upstream
// connection, no socket held by the agent, no client connection.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import { rawRequest, head } from '../helpers/raw-client'
import { forwardExpectation, type ForwardOptions } from '../../gateway/index'
import { startGateway, startUpstream, TOKEN, type Hop } from '../helpers/gateway'
import { expectPlugin, MiB, until } from '../helpers/server'

/** A TCP upstream that hands each connection to `onConnection`; its sockets are tracked. */
async function tcpUpstream (t: Test, onConnection: (socket: Socket) => void): Promise<{ origin: string, open: Set<Socket>, connections: () => number }> {
  const open = new Set<Socket>()
  let connections = 0
  const server = net.createServer((socket) => {
    connections++
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.on('error', () => {})
    onConnection(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of open) socket.destroy()
    server.close()
  })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, open, connections: () => connections }
}

/** Reads until the end of the request head, then calls `then` with what followed it. */
function afterHead (socket: Socket, then: (rest: Buffer) => void): void {
  let received = Buffer.alloc(0)
  const onData = (chunk: Buffer): void => {
    received = Buffer.concat([received, chunk])
    const end = received.indexOf('\r\n\r\n')
    if (end === -1) return
    socket.off('data', onData)
    then(received.subarray(end + 4))
  }
  socket.on('data', onData)
}

async function gatewayTo (t: Test, options: Omit<ForwardOptions, 'upstream'> & { upstream: string }): Promise<Hop & { agent: http.Agent }> {
  const agent = options.agent ?? new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const app = Fastify({ bodyLimit: 64 * MiB })
  await app.register(expectPlugin)
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
    scope.put('/*', (request, reply) => forwardExpectation(request, reply, { ...options, agent }))
    scope.post('/parsed', { config: { expect: false } }, (request, reply) => forwardExpectation(request, reply, { ...options, agent }))
  })
  app.register(async (scope) => {
    scope.post('/json', (request, reply) => forwardExpectation(request, reply, { ...options, agent }))
    scope.post('/elsewhere', (request, reply) => forwardExpectation(request, reply, { ...options, agent, url: 'http://example.invalid/x' }))
  })
  return { ...await startGateway(t, app), agent }
}

const put = (port: number, bytes: number, extra: Record<string, string> = {}, sendBody: 'on-continue' | 'now' = 'on-continue') => rawRequest({
  port,
  head: head('PUT /files/x.bin HTTP/1.1', { host: 'g', authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': String(bytes), expect: '100-continue', ...extra }),
  body: Buffer.alloc(bytes, 2),
  sendBody,
  timeoutMs: 10_000
})

const agentSockets = (agent: http.Agent): number =>
  Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length

t.test('upstream unreachable: 502, and the client sent no body', async (t) => {
  const closed = await tcpUpstream(t, () => {})
  const origin = closed.origin
  const gateway = await gatewayTo(t, { upstream: origin.replace(/:\d+$/, ':1') })
  const r = await put(gateway.port, 10_000)
  t.equal(r.status, 502)
  t.match(JSON.parse(r.body), { code: 'FST_ERR_EXPECT_GATEWAY_UPSTREAM', message: /\(ECONNREFUSED\)/ })
  t.notMatch(r.body, /127\.0\.0\.1|:1\b/, 'the upstream\'s address is not shown to the client')
  t.same(r.informational, [])
  t.equal(r.bodyBytesSent, 0)
})

t.test('an upstream status Fastify cannot send: 502', async (t) => {
  const upstream = await tcpUpstream(t, (socket) => { afterHead(socket, () => { socket.end('HTTP/1.1 600 Odd\r\ncontent-length: 0\r\nconnection: close\r\n\r\n') }) })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const r = await put(gateway.port, 10_000)
  t.equal(r.status, 502)
  t.match(JSON.parse(r.body), { message: /invalid status 600/ })
  t.equal(r.bodyBytesSent, 0)
})

t.test('an expectation with no body: forwarded without one, answered, and onError when set', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const r = await put(gateway.port, 0)
  t.equal(r.status, 201, 'the upstream\'s answer')
  t.same(JSON.parse(r.body), { name: 'x.bin', bytes: 0 })
  t.same(r.informational, [], 'nothing to continue')
  const failing = await gatewayTo(t, { upstream: upstream.origin.replace(/:\d+$/, ':1'), onError: (reply, { error }) => { reply.code(503).send({ failed: error.message }) } })
  const down = await put(failing.port, 10)
  t.equal(down.status, 503, 'onError answered')
  t.match(JSON.parse(down.body), { failed: /ECONNREFUSED/ })
})

t.test('a rewriteHeaders that throws: its error is the answer', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await gatewayTo(t, { upstream: upstream.origin, rewriteHeaders: () => { throw new Error('rewrite failed') } })
  const r = await put(gateway.port, 10)
  t.equal(r.status, 500)
  t.match(JSON.parse(r.body), { message: 'rewrite failed' })
})

t.test('upstream closes after the head: 502', async (t) => {
  const upstream = await tcpUpstream(t, (socket) => { afterHead(socket, () => socket.destroy()) })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const r = await put(gateway.port, 10_000)
  t.equal(r.status, 502)
  t.equal(r.bodyBytesSent, 0)
})

t.test('upstream ignores the expectation: after continueTimeout the body goes up anyway', async (t) => {
  const upstream = await tcpUpstream(t, (socket) => {
    afterHead(socket, (rest) => {
      let bytes = rest.length
      const answer = (): void => { socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok') }
      if (bytes >= 10_000) answer()
      else socket.on('data', (chunk: Buffer) => { bytes += chunk.length; if (bytes >= 10_000) answer() })
    })
  })
  const gateway = await gatewayTo(t, { upstream: upstream.origin, continueTimeout: 50 })
  const r = await put(gateway.port, 10_000)
  t.same(r.informational, ['HTTP/1.1 100 Continue'], 'the gateway\'s own 100, once its wait was over')
  t.equal(r.status, 200)
  t.equal(r.body, 'ok')
})

t.test('upstream silent: 100 after continueTimeout, then 504 after timeout; nothing left open', async (t) => {
  // It reads (and so sees the gateway close) but never answers.
  const upstream = await tcpUpstream(t, (socket) => { socket.resume() })
  const gateway = await gatewayTo(t, { upstream: upstream.origin, continueTimeout: 50, timeout: 300 })
  const r = await put(gateway.port, 10_000)
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 504)
  t.match(JSON.parse(r.body), { code: 'FST_ERR_EXPECT_GATEWAY_TIMEOUT' })
  await until(t, 'upstream connection closed', () => upstream.open.size === 0)
  await until(t, 'agent holds no socket', () => agentSockets(gateway.agent) === 0)
})

t.test('the client leaves while the upstream decides: the upstream connection goes too', async (t) => {
  let heads = 0
  const upstream = await tcpUpstream(t, (socket) => { afterHead(socket, () => { heads++ }) })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const client = net.connect(gateway.port, '127.0.0.1')
  client.on('error', () => {})
  client.write(head('PUT /files/x.bin HTTP/1.1', { host: 'g', 'content-type': 'application/octet-stream', 'content-length': '10000', expect: '100-continue' }))
  await until(t, 'the head reached the upstream', () => heads === 1)
  client.destroy()
  await until(t, 'upstream connection closed', () => upstream.open.size === 0)
  await until(t, 'gateway connection closed', () => gateway.count.open.size === 0)
  await until(t, 'agent holds no socket', () => agentSockets(gateway.agent) === 0)
  t.equal(gateway.count.bodyBytes(), 0)
})

t.test('the client leaves in the middle of its body: the upstream request is aborted', async (t) => {
  let bodyBytes = 0
  const upstream = await tcpUpstream(t, (socket) => {
    afterHead(socket, (rest) => {
      bodyBytes += rest.length
      socket.write('HTTP/1.1 100 Continue\r\n\r\n')
      socket.on('data', (chunk: Buffer) => { bodyBytes += chunk.length })
    })
  })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const client = net.connect(gateway.port, '127.0.0.1')
  client.on('error', () => {})
  client.write(head('PUT /files/x.bin HTTP/1.1', { host: 'g', 'content-type': 'application/octet-stream', 'content-length': '100000', expect: '100-continue' }))
  client.once('data', () => { client.write(Buffer.alloc(1000)) })
  await until(t, 'part of the body reached the upstream', () => bodyBytes === 1000)
  client.destroy()
  await until(t, 'upstream connection closed', () => upstream.open.size === 0)
  await until(t, 'agent holds no socket', () => agentSockets(gateway.agent) === 0)
})

t.test('the upstream breaks off in the middle of its response: the client connection is closed', async (t) => {
  const upstream = await tcpUpstream(t, (socket) => {
    afterHead(socket, () => {
      socket.write('HTTP/1.1 401 Unauthorized\r\ncontent-length: 1000\r\n\r\npartial')
      setImmediate(() => socket.destroy())
    })
  })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const r = await put(gateway.port, 10_000)
  t.equal(r.status, 401)
  t.ok(r.closedByServer || r.reset, 'the connection ended')
  t.ok(r.body.length < 1000, 'the body was cut short, not padded')
  t.equal(r.bodyBytesSent, 0)
  await until(t, 'gateway connection closed', () => gateway.count.open.size === 0)
})

t.test('the upstream refuses in the middle of a chunked body: its status is relayed', async (t) => {
  // The upstream's staged close ends its connection (the test waits for that) after lingerTimeout:
  // 200 ms, not the default 5 s, which is not what this test is about.
  const upstream = await startUpstream(t, { lingerTimeout: 200 })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const data = Buffer.alloc(2 * MiB, 4)
  const r = await rawRequest({
    port: gateway.port,
    head: head('PUT /files/big.bin HTTP/1.1', { host: 'g', authorization: TOKEN, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', expect: '100-continue' }),
    body: Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]),
    stopBodyOnFinal: true,
    timeoutMs: 10_000
  })
  t.same(r.informational, ['HTTP/1.1 100 Continue'], 'chunked: the upstream cannot refuse by size before the body')
  t.equal(r.status, 413, 'the upstream\'s streaming limit, relayed')
  await until(t, 'upstream connections closed', () => upstream.count.open.size === 0)
  await until(t, 'agent holds no socket', () => agentSockets(gateway.agent) === 0)
})

t.test('an answer while the body is still going up: relayed, and the client connection closes', async (t) => {
  const upstream = await tcpUpstream(t, (socket) => {
    afterHead(socket, (rest) => {
      let bytes = rest.length
      socket.write('HTTP/1.1 100 Continue\r\n\r\n')
      socket.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes >= 1000) socket.end('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 3\r\nconnection: close\r\n\r\nbig')
      })
    })
  })
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const client = net.connect(gateway.port, '127.0.0.1')
  let received = ''
  client.on('data', (chunk: Buffer) => {
    if (received === '') client.write(Buffer.alloc(1000)) // after the 100: a part of the body only
    received += chunk.toString('latin1')
  })
  client.on('error', () => {})
  const ended = new Promise((resolve) => client.on('close', resolve))
  client.write(head('PUT /files/x.bin HTTP/1.1', { host: 'g', 'content-type': 'application/octet-stream', 'content-length': '100000', expect: '100-continue' }))
  await ended
  t.match(received, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 413 /, 'the 100, then the upstream\'s 413')
  t.match(received, /\r\nconnection: close\r\n/i, 'the half-sent body ends the client connection')
  await until(t, 'upstream connection closed', () => upstream.open.size === 0)
  await until(t, 'agent holds no socket', () => agentSockets(gateway.agent) === 0)
})

t.test('a body that a parser already read is forwarded as read; an object is a 500, a foreign URL a 400 naming no address', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await gatewayTo(t, { upstream: upstream.origin })
  const json = await gateway.app.inject({ method: 'POST', url: '/json', payload: { a: 1 } })
  t.equal(json.statusCode, 500)
  t.match(json.json().message, /parsed the body into an object/)
  const foreign = await gateway.app.inject({ method: 'POST', url: '/elsewhere', payload: 'x', headers: { 'content-type': 'text/plain' } })
  t.equal(foreign.statusCode, 400)
  t.match(foreign.json(), { code: 'FST_ERR_EXPECT_GATEWAY_TARGET', message: /absolute/ })
  t.notMatch(foreign.body, /127\.0\.0\.1|example\.invalid/, 'no address in what the client reads')
  const slashes = await gateway.app.inject({ method: 'PUT', url: '//elsewhere.example/files/a.bin', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(3) })
  t.equal(slashes.statusCode, 400, 'a path starting with // is refused (reply-from would send it to the upstream as a path)')
  const text = await gateway.app.inject({ method: 'POST', url: '/json', payload: 'some text', headers: { 'content-type': 'text/plain', expect: '100-continue' } })
  t.equal(text.statusCode, 404, 'the string went up (without Expect) and the upstream answered')
})
