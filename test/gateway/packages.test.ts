// The real @fastify/http-proxy and @fastify/reply-from: without the gateway
// helpers every `Expect: 100-continue` upload gets a 500 (undici refuses the
// field); with expectContinueHandler the proxy keeps doing everything else
// (prefix rewriting, header hooks, requests without Expect through reply.from()).
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import httpProxy from '@fastify/http-proxy'
import replyFrom from '@fastify/reply-from'
import { rawRequest, head } from '../helpers/raw-client'
import { expectContinueHandler, expectsContinue, forwardExpectation } from '../../gateway/index'
import { startGateway, startUpstream, TOKEN } from '../helpers/gateway'
import { expectPlugin, listenOnLoopback } from '../helpers/server'

const upload = (port: number, path: string, bytes = 4096, extra: Record<string, string> = {}) => rawRequest({
  port,
  head: head(`PUT ${path} HTTP/1.1`, { host: 'gateway.test', authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': String(bytes), expect: '100-continue', ...extra }),
  body: Buffer.alloc(bytes, 1),
  timeoutMs: 10_000
})

t.test('without the helpers: @fastify/http-proxy answers 500 to every Expect upload', async (t) => {
  for (const withPlugin of [true, false]) {
    t.test(withPlugin ? 'fastify-expect on the gateway' : 'plain Fastify gateway', async (t) => {
      const upstream = await startUpstream(t)
      const app = Fastify()
      if (withPlugin) app.register(expectPlugin)
      app.register(httpProxy, { upstream: upstream.origin, prefix: '/api' })
      const gateway = await startGateway(t, app)
      for (const authorization of [TOKEN, 'wrong']) {
        const r = await upload(gateway.port, '/api/files/a.bin', 4096, { authorization })
        t.equal(r.status, 500, `${authorization === TOKEN ? 'an upload the upstream accepts' : 'one it refuses'}: 500 from the gateway`)
        t.match(JSON.parse(r.body), { code: 'FST_REPLY_FROM_INTERNAL_SERVER_ERROR', message: 'expect header not supported' })
        // Plain Fastify: Node's own 100 went out first, so the body was sent for nothing.
        t.same(r.informational, withPlugin ? [] : ['HTTP/1.1 100 Continue'])
      }
      t.equal(upstream.count.bodyBytes(), 0, 'nothing reached the upstream')
    })
  }
})

t.test('without the helpers: reply.from() answers 500 as well', async (t) => {
  const upstream = await startUpstream(t)
  const app = Fastify()
  await app.register(expectPlugin)
  app.register(replyFrom, { base: upstream.origin })
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
  app.put('/files/:name', (_request, reply) => reply.from())
  const gateway = await startGateway(t, app)
  const r = await upload(gateway.port, '/files/a.bin')
  t.equal(r.status, 500)
  t.match(JSON.parse(r.body), { message: 'expect header not supported' })
})

/** An upstream that shows what it received. */
async function echoUpstream (t: Test): Promise<string> {
  const app = Fastify()
  await app.register(expectPlugin)
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })
  app.put('/v1/echo', async (request) => ({ url: request.url, headers: request.headers, bytes: (request.body as Buffer).length }))
  app.get('/v1/hello', async () => ({ hello: 'world' }))
  app.put('/v1/refuse', { config: { expect: { check: () => { throw Object.assign(new Error('no'), { statusCode: 403 }) } } } }, async () => 'never')
  return `http://127.0.0.1:${await listenOnLoopback(t, app)}`
}

t.test('with expectContinueHandler: the proxy\'s own options apply to both paths', async (t) => {
  const upstream = await echoUpstream(t)
  const app = Fastify()
  await app.register(expectPlugin)
  app.register(httpProxy, {
    upstream,
    prefix: '/api',
    rewritePrefix: '/v1',
    handler: expectContinueHandler({ upstream }),
    replyOptions: {
      getUpstream: (_request, base) => base,
      rewriteRequestHeaders: (_request, headers) => ({ ...headers, 'x-forwarded-by': 'gateway' }),
      rewriteHeaders: (headers) => ({ ...headers, 'x-gateway': 'yes' })
    }
  })
  const gateway = await startGateway(t, app)

  const r = await upload(gateway.port, '/api/echo?a=1&b=2', 5000, { connection: 'keep-alive, x-hop', 'x-hop': 'dropped', 'x-end': 'kept' })
  t.same(r.informational, ['HTTP/1.1 100 Continue'])
  t.equal(r.status, 200)
  t.equal(r.headers['x-gateway'], 'yes', 'rewriteHeaders ran on the upstream response')
  const seen = JSON.parse(r.body) as { url: string, headers: Record<string, string>, bytes: number }
  t.equal(seen.url, '/v1/echo?a=1&b=2', 'prefix rewritten, query kept')
  t.equal(seen.bytes, 5000)
  t.equal(seen.headers.expect, '100-continue', 'the expectation went upstream')
  t.equal(seen.headers['x-forwarded-by'], 'gateway', 'rewriteRequestHeaders ran')
  t.equal(seen.headers.host, new URL(upstream).host, 'host is the upstream\'s')
  t.equal(seen.headers['x-end'], 'kept')
  t.notOk('x-hop' in seen.headers, 'fields named in Connection are not forwarded')

  const refused = await upload(gateway.port, '/api/refuse', 5000)
  t.equal(refused.status, 403, 'the upstream check\'s refusal, relayed')
  t.same(refused.informational, [])
  t.equal(refused.bodyBytesSent, 0)
  t.equal(refused.headers['x-gateway'], 'yes')

  // Requests without Expect take reply.from() (undici), as without the helper.
  const hello = await app.inject({ method: 'GET', url: '/api/hello' })
  t.same(hello.json(), { hello: 'world' })
  t.equal(hello.headers['x-gateway'], 'yes')
  const plain = await app.inject({ method: 'PUT', url: '/api/echo', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(10) })
  t.equal(plain.json().bytes, 10)
  t.equal(plain.json().headers['x-forwarded-by'], 'gateway')
})

t.test('reply-from for every route, forwardExpectation for Expect uploads', async (t) => {
  const upstream = await startUpstream(t)
  const app: FastifyInstance = Fastify()
  await app.register(expectPlugin)
  app.register(replyFrom, { base: upstream.origin })
  app.addContentTypeParser('*', (_request, payload, done) => { done(null, payload) })
  app.put('/files/:name', (request, reply) => expectsContinue(request.headers)
    ? forwardExpectation(request, reply, { upstream: upstream.origin })
    : reply.from())
  const gateway = await startGateway(t, app)
  const accepted = await upload(gateway.port, '/files/a.bin', 4096)
  t.equal(accepted.status, 201)
  t.same(accepted.informational, ['HTTP/1.1 100 Continue'])
  const refused = await upload(gateway.port, '/files/a.bin', 4096, { authorization: 'wrong' })
  t.equal(refused.status, 401)
  t.equal(refused.bodyBytesSent, 0)
})
