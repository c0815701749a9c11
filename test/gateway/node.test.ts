// The plain node:http recipe (examples/gateway.js) in front of the example upload
// app: the same verdicts, the same 0-byte refusals on both hops; and callUpstream
// itself (the module's source) under a node:http server that writes its own 100.
import t, { type Test } from 'tap'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { rawRequest, head } from '../helpers/raw-client'
import { createGateway } from '../../examples/gateway'
import { callUpstream, planForward } from '../../gateway/index'
import { countBodyBytes, startUpstream, TOKEN } from '../helpers/gateway'
import { MiB, until } from '../helpers/server'

async function listenPlain (t: Test, server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return (server.address() as AddressInfo).port
}

const cases: Array<{ label: string, headers: Record<string, string>, bytes: number, status: number, path: string }> = [
  { label: 'no token', headers: { 'content-type': 'application/octet-stream' }, bytes: 100_000, status: 401, path: '/files/a.bin' },
  { label: 'too large', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 2 * MiB, status: 413, path: '/files/a.bin' },
  { label: 'wrong type', headers: { 'content-type': 'application/pdf', authorization: TOKEN }, bytes: 100_000, status: 415, path: '/files/a.bin' },
  { label: 'no route', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 100_000, status: 404, path: '/nope' }
]

t.test('examples/gateway.js: the upstream\'s refusals, with no body byte on either hop', async (t) => {
  for (const c of cases) {
    t.test(`${c.label}: ${c.status}`, async (t) => {
      const upstream = await startUpstream(t)
      const server = createGateway({ upstream: upstream.origin })
      const count = countBodyBytes(server)
      const port = await listenPlain(t, server)
      const r = await rawRequest({ port, head: head(`PUT ${c.path} HTTP/1.1`, { host: 'g', ...c.headers, 'content-length': String(c.bytes), expect: '100-continue' }), body: Buffer.alloc(c.bytes), timeoutMs: 10_000 })
      t.equal(r.status, c.status)
      t.same(r.informational, [])
      t.equal(r.bodyBytesSent, 0)
      await until(t, 'gateway connections closed', () => count.open.size === 0)
      await until(t, 'upstream connections closed', () => upstream.count.open.size === 0)
      t.equal(count.bodyBytes(), 0, 'hop 1: no body byte')
      t.equal(upstream.count.bodyBytes(), 0, 'hop 2: no body byte')
    })
  }
})

t.test('examples/gateway.js: accepted, without Expect, and an unreachable upstream', async (t) => {
  const upstream = await startUpstream(t)
  const port = await listenPlain(t, createGateway({ upstream: upstream.origin }))
  const headers = { host: 'g', authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': '300000' }
  const accepted = await rawRequest({ port, head: head('PUT /files/a.bin HTTP/1.1', { ...headers, expect: '100-continue' }), body: Buffer.alloc(300_000), timeoutMs: 10_000 })
  t.same(accepted.informational, ['HTTP/1.1 100 Continue'])
  t.equal(accepted.status, 201)
  t.same(JSON.parse(accepted.body), { name: 'a.bin', bytes: 300_000 })
  const plain = await rawRequest({ port, head: head('PUT /files/b.bin HTTP/1.1', headers), body: Buffer.alloc(300_000), sendBody: 'now', timeoutMs: 10_000 })
  t.equal(plain.status, 201)
  t.same(plain.informational, [])

  const downPort = await listenPlain(t, createGateway({ upstream: 'http://127.0.0.1:1' }))
  const down = await rawRequest({ port: downPort, head: head('PUT /files/a.bin HTTP/1.1', { ...headers, expect: '100-continue' }), body: Buffer.alloc(300_000), timeoutMs: 10_000 })
  t.equal(down.status, 502)
  t.equal(down.bodyBytesSent, 0)
})

t.test('callUpstream: a 100 that comes after continueTimeout does not start the body twice', async (t) => {
  // An upstream that sends its 100 late, then counts the body.
  const upstream = net.createServer((socket) => {
    let received = Buffer.alloc(0)
    let headEnd = -1
    let continued = false
    const answerWhenDone = (): void => {
      const body = received.length - headEnd - 4
      if (continued && body >= 5000) socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${String(body).length}\r\nconnection: close\r\n\r\n${body}`)
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (headEnd === -1) {
        headEnd = received.indexOf('\r\n\r\n')
        if (headEnd === -1) return
        // Late: the gateway has sent the body by then; the answer waits for this 100.
        setTimeout(() => {
          socket.write('HTTP/1.1 100 Continue\r\n\r\n')
          continued = true
          answerWhenDone()
        }, 200)
      }
      answerWhenDone()
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => upstream.close())
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  let continues = 0
  const server = http.createServer()
  server.on('checkContinue', (req, res) => {
    const plan = planForward(req, origin)
    callUpstream({
      url: plan.url,
      method: req.method ?? 'PUT',
      headers: plan.headers,
      body: req,
      expectContinue: true,
      framing: plan.framing,
      onContinue: () => { continues++; res.writeContinue() },
      clientResponse: res,
      continueTimeout: 20
    }).then(({ response }) => {
      res.writeHead(response.statusCode ?? 502, { 'content-length': response.headers['content-length'] })
      response.pipe(res)
    }, () => { res.writeHead(502).end() })
  })
  const port = await listenPlain(t, server)
  const r = await rawRequest({ port, head: head('PUT /x HTTP/1.1', { host: 'g', 'content-length': '5000', expect: '100-continue' }), body: Buffer.alloc(5000), timeoutMs: 10_000 })
  t.equal(r.status, 200)
  t.equal(r.body, '5000', 'the body went up once')
  t.equal(continues, 1, 'one 100 to the client')
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
})
