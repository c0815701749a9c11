// An HTTP/2 client in front of the gateway (cleartext HTTP/2, fastify-expect,
// forwardExpectation), HTTP/1.1 to the upstream: the same verdicts.
import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import http2 from 'node:http2'
import { forwardExpectation } from '../../gateway/index'
import { startUpstream, TOKEN } from '../helpers/gateway'
import { expectPlugin, listenOnLoopback } from '../helpers/server'

interface H2Result { status: number, continued: boolean, body: string }

/** Sends the headers, and the body only on the server's 100. */
function h2Upload (port: number, headers: Record<string, string>, body: Buffer): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    session.on('error', reject)
    const stream = session.request({ ':method': 'PUT', ':path': '/files/h2.bin', ...headers }, { endStream: body.length === 0 })
    let continued = false
    let status = 0
    let text = ''
    stream.on('continue', () => { continued = true; stream.end(body) })
    stream.on('response', (h) => { status = Number(h[':status']) })
    stream.on('data', (chunk: Buffer) => { text += chunk.toString() })
    stream.on('close', () => { session.close(); resolve({ status, continued, body: text }) })
    stream.on('error', () => {})
  })
}

t.test('HTTP/2 client, HTTP/1.1 upstream', async (t) => {
  const upstream = await startUpstream(t)
  const app = Fastify({ http2: true })
  await app.register(expectPlugin)
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
    scope.put('/files/:name', (request, reply) => forwardExpectation(request, reply, { upstream: upstream.origin }))
  })
  const port = await listenOnLoopback(t, app as unknown as FastifyInstance)
  const body = Buffer.alloc(50_000, 5)
  const base = { 'content-type': 'application/octet-stream', 'content-length': String(body.length), expect: '100-continue' }

  const refused = await h2Upload(port, base, body)
  t.equal(refused.status, 401, 'the upstream\'s refusal')
  t.notOk(refused.continued, 'no 100')
  t.equal(upstream.count.bodyBytes(), 0, 'hop 2: no body byte')

  const accepted = await h2Upload(port, { ...base, authorization: TOKEN }, body)
  t.ok(accepted.continued, 'the upstream\'s 100, relayed as an informational HEADERS frame')
  t.equal(accepted.status, 201)
  t.same(JSON.parse(accepted.body), { name: 'h2.bin', bytes: body.length })

  const empty = await h2Upload(port, { 'content-type': 'application/octet-stream', authorization: TOKEN }, Buffer.alloc(0))
  t.equal(empty.status, 201, 'a stream ended with its headers: forwarded with no body')
  t.same(JSON.parse(empty.body), { name: 'h2.bin', bytes: 0 })
})
