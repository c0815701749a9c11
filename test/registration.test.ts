// Registering the plugin: options and route config are validated up front,
// every route and every bound address is covered, and order is explained.
import t from 'tap'
import dns from 'node:dns'
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import { expectPlugin, listen, listenOnLoopback } from './helpers/server'
import { rawRequest, head } from '../examples/lib/raw-client'
import fastifyExpect from '../plugin/index'

t.test('CommonJS shape: the plugin itself, .default and .fastifyExpect', async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const required = require('../plugin/index')
  t.equal(required, fastifyExpect)
  t.equal(required.default, required)
  t.equal(required.fastifyExpect, required)
  t.equal(required[Symbol.for('plugin-meta')].name, 'fastify-expect')
  t.equal(required[Symbol.for('plugin-meta')].fastify, '5.x || 6.x', 'Fastify 5 and 6, as peerDependencies says')
  t.equal(new required.errorCodes.FST_ERR_EXPECTATION_FAILED('x').statusCode, 417)
})

t.test('bad options fail register with a message naming the field', async (t) => {
  for (const [options, message] of [
    [{ sendContinue: 'later' }, /fastify-expect options: \/sendContinue/],
    [{ rejectionLogLevel: 'loud' }, /\/rejectionLogLevel/],
    [{ sendContinu: 'on-read' }, /sendContinu/]
  ] as const) {
    const app = Fastify()
    app.register(expectPlugin, options)
    await t.rejects(async () => { await app.ready() }, message, JSON.stringify(options))
  }
  // Fastify's own register options are not the plugin's to refuse.
  const app = Fastify()
  app.register(expectPlugin, { prefix: '/ignored', logLevel: 'info' })
  await t.resolves(async () => { await app.ready() })
})

t.test('a bad config.expect fails when the route is registered', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  t.throws(() => app.post('/a', { config: { expect: { contentTypes: 5 } } as never }, async () => 'x'), /config\.expect of POST \/a: \/contentTypes/)
  t.throws(() => app.post('/b', { config: { expect: { contentTypes: ['png'] } } }, async () => 'x'), /\/contentTypes\/0 "png" is not a media type/)
  t.throws(() => app.post('/c', { config: { expect: true } as never }, async () => 'x'), /config\.expect of POST \/c/)
  t.throws(() => app.post('/d', { config: { expect: { check: 'no' } } as never }, async () => 'x'), /\/check/)
  await app.close()
})

t.test('registering twice is refused, at the same level or in a child context', async (t) => {
  const same = Fastify()
  same.register(expectPlugin)
  same.register(expectPlugin)
  await t.rejects(async () => { await same.ready() }, /fastify-expect is already registered for this server/)
  const child = Fastify()
  child.register(expectPlugin)
  child.register(async (instance) => { await instance.register(expectPlugin) })
  await t.rejects(async () => { await child.ready() }, /fastify-expect is already registered for this server/)
})

t.test('register order does not matter: routes declared before the plugin are covered', async (t) => {
  const app = Fastify()
  app.post('/root-early', { bodyLimit: 10 }, async () => 'ok')
  await app.register(async (child) => {
    child.post('/child-early', { bodyLimit: 10, config: { expect: { contentTypes: ['text/plain'] } } }, async (request) => ({ info: request.expectation }))
  })
  app.register(expectPlugin)
  const port = await listenOnLoopback(t, app)
  const upload = (path: string, length: number) => rawRequest({
    port,
    head: head(`POST ${path} HTTP/1.1`, { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': length }),
    body: JSON.stringify('x'.repeat(length - 2))
  })
  const root = await upload('/root-early', 100)
  t.equal(root.status, 413, 'a root route declared earlier gets the checks')
  t.same(root.informational, [])
  const child = await upload('/child-early', 4)
  t.equal(child.status, 415, 'so does a route of a plugin loaded earlier, with its config.expect')
  t.same(child.informational, [])
})

t.test('routes outside the plugin\'s encapsulation context: 100 on the first read, as Go does', async (t) => {
  const app = Fastify()
  app.register(async (scoped) => {
    // Registered without fastify-plugin's reach: the plugin covers this context only.
    await scoped.register(expectPlugin)
    scoped.post('/inside', { bodyLimit: 10 }, async () => 'inside')
  })
  app.post('/outside', { bodyLimit: 10 }, async () => 'outside')
  const port = await listenOnLoopback(t, app)
  const upload = (method: string, path: string, length: number, expect = '100-continue') => rawRequest({
    port,
    head: head(`${method} ${path} HTTP/1.1`, { host: 'x', expect, 'content-type': 'application/json', 'content-length': length }),
    body: JSON.stringify('x'.repeat(length - 2))
  })
  const inside = await upload('POST', '/inside', 100)
  t.equal(inside.status, 413)
  t.same(inside.informational, [])
  const outside = await upload('POST', '/outside', 4)
  t.same(outside.informational, ['HTTP/1.1 100 Continue'], 'no gate ran: the 100 goes out when the parser reads')
  t.equal(outside.body, 'outside')
  // Without the gate nothing answers 417; the route runs and never gets a 100 for it.
  const unknown = await upload('POST', '/outside', 4, 'x-teapot')
  t.same(unknown.informational, [])
})

t.test('every address of a multi-address listen is covered', async (t) => {
  // Where localhost names both loopbacks, Fastify listens on each, with a server per address.
  // Here it may name only 127.0.0.1: answer the lookup as such a machine would.
  const lookup = dns.lookup
  ;(dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
    const [host, options, callback] = args as [string, { all?: boolean }, (err: null, addresses: unknown) => void]
    if (host !== 'localhost' || options?.all !== true) return (lookup as (...a: unknown[]) => unknown)(...args)
    callback(null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }])
  }
  t.teardown(() => { dns.lookup = lookup })
  const app = Fastify()
  await app.register(expectPlugin)
  app.post('/x', { bodyLimit: 10 }, async () => 'ok')
  await app.listen({ port: 0, host: 'localhost' })
  t.teardown(() => app.close())
  const addresses = app.addresses() as AddressInfo[]
  t.same(addresses.map((a) => a.address).sort(), ['127.0.0.1', '::1'])
  for (const address of addresses) {
    const r = await rawRequest({
      port: address.port,
      host: address.address,
      head: head('POST /x HTTP/1.1', { host: 'localhost', expect: '100-continue', 'content-type': 'application/json', 'content-length': 100 }),
      body: 'x'.repeat(100)
    })
    t.equal(r.status, 413, `${address.family} ${address.address}`)
    t.same(r.informational, [])
  }
})

t.test('the first request to a route is an expectation: route hooks still answer first', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization === undefined) return reply.code(401).send('who')
    })
    app.post('/x', { bodyLimit: 10 }, async () => 'ok')
  })
  const first = await rawRequest({ port: server.port, head: head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': 100 }) })
  t.equal(first.status, 401, 'the gate runs after the auth hook, even on the first request')
  const second = await rawRequest({ port: server.port, head: head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': 100, authorization: 'a' }) })
  t.equal(second.status, 413)
})

t.test('a bad config.expect on a route declared before the plugin loaded: logged, the plugin off for it', async (t) => {
  const lines: Array<Record<string, any>> = []
  const app = Fastify({ logger: { level: 'error', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  app.register(expectPlugin) // not awaited: the route below is declared before the plugin's onRoute hook exists
  app.put('/typo', { config: { expect: { contentType: ['image/png'] } } as never }, async () => 'stored')
  app.get('/health', async () => 'ok')
  const port = await listenOnLoopback(t, app)
  const health = await rawRequest({ port, head: head('GET /health HTTP/1.1', { host: 'x' }) })
  t.equal(health.status, 200, 'other routes are not affected')
  for (let i = 0; i < 2; i++) {
    const plain = await rawRequest({ port, head: head('PUT /typo HTTP/1.1', { host: 'x', 'content-type': 'text/plain', 'content-length': 2 }), body: 'hi', sendBody: 'now' })
    t.equal(plain.status, 200, 'a request without Expect is served')
    const expecting = await rawRequest({ port, head: head('PUT /typo HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 2 }), body: 'hi' })
    t.same(expecting.informational, ['HTTP/1.1 100 Continue'], 'the route behaves as without the plugin')
    t.equal(expecting.status, 200)
  }
  const errors = lines.filter((l) => /invalid config\.expect/.test(l.msg))
  t.equal(errors.length, 1, 'said once')
  t.match(errors[0]?.err?.message, /config\.expect of PUT \/typo: \/contentType/)
})

t.test('concurrent first requests on a route: every one meets the gate after the route\'s own hooks', async (t) => {
  const app = Fastify()
  // A slow root hook registered before the plugin: requests pile up behind it on the route's first use.
  app.addHook('onRequest', async () => { await new Promise((resolve) => setTimeout(resolve, 30)) })
  await app.register(expectPlugin, { sendContinue: 'after-checks' })
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
  app.put('/up', {
    bodyLimit: 1000,
    onRequest: (request, reply, done) => {
      if (request.headers.authorization !== 'ok') {
        reply.code(401).send('who')
        return
      }
      done()
    }
  }, async () => 'ok')
  const port = await listenOnLoopback(t, app)
  const send = (length: number) => rawRequest({
    port,
    head: head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/octet-stream', 'content-length': length })
  })
  const results = await Promise.all([send(10), send(5000), send(10), send(5000)])
  for (const [i, r] of results.entries()) {
    t.equal(r.status, 401, `request ${i}: the route's auth hook answered first`)
    t.same(r.informational, [], `request ${i}: no 100 before auth`)
  }
})
