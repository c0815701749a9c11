// A Fastify gateway (fastify-expect, @fastify/http-proxy with expectContinueHandler)
// in front of the example upload app (fastify-expect), with a raw client that
// waits for the 100: the client reads the UPSTREAM's verdict, and a refusal
// carries no body byte on either hop.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { rawRequest, head } from '../helpers/raw-client'
import { expectContinueHandler, forwardExpectation } from '../../gateway/index'
import { startGateway, startUpstream, TOKEN, type Hop } from '../helpers/gateway'
import { expectPlugin, MiB, until } from '../helpers/server'

/** The gateway: uploads under /api go to the upstream's root. */
function proxyGateway (upstream: string): FastifyInstance {
  // Large enough that the gateway itself never refuses: the upstream decides.
  const app = Fastify({ bodyLimit: 64 * MiB })
  app.register(expectPlugin)
  app.register(httpProxy, { upstream, prefix: '/api', handler: expectContinueHandler({ upstream }) })
  return app
}

/** The same, with an own route that calls forwardExpectation (a parser that leaves the body unread). */
function routeGateway (upstream: string): FastifyInstance {
  const app = Fastify({ bodyLimit: 64 * MiB })
  app.register(expectPlugin)
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
    scope.put('/direct/files/:name', (request, reply) => forwardExpectation(request, reply, { upstream, url: request.url.slice('/direct'.length) }))
  })
  return app
}

interface Case { label: string, path: string, headers: Record<string, string>, bytes: number, status: number }

const refusals: Case[] = [
  { label: 'no token (onRequest hook)', path: '/files/a.bin', headers: { 'content-type': 'application/octet-stream' }, bytes: 256 * 1024, status: 401 },
  { label: 'over the route bodyLimit', path: '/files/a.bin', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 2 * MiB, status: 413 },
  { label: 'media type not accepted', path: '/files/a.bin', headers: { 'content-type': 'application/pdf', authorization: TOKEN }, bytes: 256 * 1024, status: 415 },
  { label: 'no such route', path: '/nothing/here', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 256 * 1024, status: 404 }
]

async function upload (gateway: Hop, prefix: string, c: Case, expect = true) {
  const headers = { host: 'gateway.test', ...c.headers, 'content-length': String(c.bytes), ...(expect ? { expect: '100-continue' } : {}) }
  return rawRequest({ port: gateway.port, head: head(`PUT ${prefix}${c.path} HTTP/1.1`, headers), body: Buffer.alloc(c.bytes, 7), sendBody: expect ? 'on-continue' : 'now', timeoutMs: 10_000 })
}

/** Both hops done: every connection closed (the refusals close them), within a bound. */
async function hopsClosed (t: Test, gateway: Hop, upstream: Hop): Promise<void> {
  await until(t, 'gateway connections closed', () => gateway.count.open.size === 0)
  await until(t, 'upstream connections closed', () => upstream.count.open.size === 0)
}

for (const [name, build, prefix] of [['@fastify/http-proxy + expectContinueHandler', proxyGateway, '/api'], ['a route calling forwardExpectation', routeGateway, '/direct']] as const) {
  t.test(name, async (t) => {
    for (const c of refusals) {
      t.test(`${c.label}: the upstream's ${c.status}, before any body byte on either hop`, async (t) => {
        const upstream = await startUpstream(t)
        const gateway = await startGateway(t, build(upstream.origin))
        const r = await upload(gateway, prefix, c)
        t.equal(r.status, c.status, 'the client read the upstream\'s status')
        t.same(r.informational, [], 'no 100 reached the client')
        t.equal(r.bodyBytesSent, 0, 'the client sent no body byte')
        await hopsClosed(t, gateway, upstream)
        t.equal(gateway.count.bodyBytes(), 0, 'hop 1: the gateway read no body byte')
        t.equal(upstream.count.bodyBytes(), 0, 'hop 2: the upstream read no body byte')
      })
    }

    t.test('accepted: the upstream\'s 100 is relayed, then the body, then its 201', async (t) => {
      const upstream = await startUpstream(t)
      const gateway = await startGateway(t, build(upstream.origin))
      const c: Case = { label: 'ok', path: '/files/ok.bin', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 512 * 1024, status: 201 }
      const r = await upload(gateway, prefix, c)
      t.same(r.informational, ['HTTP/1.1 100 Continue'], 'one 100, relayed from the upstream')
      t.equal(r.status, 201)
      t.same(JSON.parse(r.body), { name: 'ok.bin', bytes: c.bytes }, 'the upstream received the whole body')
      t.equal(gateway.count.bodyBytes(), c.bytes, 'hop 1 carried the body once')
      t.equal(upstream.count.bodyBytes(), c.bytes, 'hop 2 carried the body once')
    })

    t.test('no Expect: the body is streamed up as usual', async (t) => {
      const upstream = await startUpstream(t)
      const gateway = await startGateway(t, build(upstream.origin))
      const accepted = await upload(gateway, prefix, { label: 'ok', path: '/files/plain.bin', headers: { 'content-type': 'application/octet-stream', authorization: TOKEN }, bytes: 300_000, status: 201 }, false)
      t.equal(accepted.status, 201)
      t.same(JSON.parse(accepted.body), { name: 'plain.bin', bytes: 300_000 })
      t.same(accepted.informational, [], 'no 100 without an expectation')
      const refused = await upload(gateway, prefix, refusals[0] as Case, false)
      t.equal(refused.status, 401, 'a refusal still reaches the client')
    })
  })
}

t.test('a chunked upload with Expect is forwarded chunked, after the upstream\'s 100', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, proxyGateway(upstream.origin))
  const data = Buffer.alloc(100_000, 3)
  const chunked = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')])
  const r = await rawRequest({
    port: gateway.port,
    head: head('PUT /api/files/c.bin HTTP/1.1', { host: 'g', authorization: TOKEN, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', expect: '100-continue' }),
    body: chunked,
    timeoutMs: 10_000
  })
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 201)
  t.same(JSON.parse(r.body), { name: 'c.bin', bytes: data.length })
})
