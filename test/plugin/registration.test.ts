// Registering the plugin: options and route config are validated up front,
// every route and every bound address is covered, and order is explained.
import { expectationOf } from '../../plugin/index'
import t from 'tap'
import dns from 'node:dns'
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import { expectPlugin, listen, listenOnLoopback } from '../helpers/server'
import { rawRequest, head } from '../helpers/raw-client'
import fastifyExpect from '../../plugin/index'

t.test('CommonJS shape: the plugin itself, .default and .fastifyExpect', async (t) => {
  const required = require('../../plugin/index')
  t.equal(required, fastifyExpect)
  t.equal(required.default, required)
  t.equal(required.fastifyExpect, required)
  t.equal(required[Symbol.for('plugin-meta')].name, 'fastify-expect')
  t.equal(required[Symbol.for('plugin-meta')].fastify, '5.x || 6.x', 'Fastify 5 and 6, as peerDependencies says')
  t.equal(required.expectationOf, expectationOf)
  t.equal(required.decisionChannel, 'fastify-expect:decision')
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

t.test('registering twice is refused; so is registering inside an encapsulated plugin', async (t) => {
  const same = Fastify()
  same.register(expectPlugin)
  same.register(expectPlugin)
  await t.rejects(async () => { await same.ready() }, /fastify-expect is already registered for this server/)
  const child = Fastify()
  child.register(async (instance) => { await instance.register(expectPlugin) })
  await t.rejects(async () => { await child.ready() }, /must be registered on the root instance/)
})

t.test('routes declared before the plugin loaded: a warning naming them; routes after it get their rules', async (t) => {
  const lines: Array<Record<string, any>> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  app.post('/root-early', { bodyLimit: 10 }, async () => 'ok')
  app.register(expectPlugin) // queued: the route above and the one below are declared before it loads
  app.post('/also-early', { bodyLimit: 10 }, async () => 'ok')
  app.register(async (child) => {
    child.post('/child-later', { bodyLimit: 10, config: { expect: { contentTypes: ['text/plain'] } } }, async () => 'ok')
  })
  const port = await listenOnLoopback(t, app)
  const upload = (path: string, length: number) => rawRequest({
    port,
    head: head(`POST ${path} HTTP/1.1`, { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': length }),
    body: JSON.stringify('x'.repeat(length - 2))
  })
  const warning = lines.find((l) => /routes were declared before it loaded/.test(l.msg))
  t.match(warning?.msg, /\/root-early/, 'the warning names the routes')
  t.match(warning?.msg, /\/also-early/)
  const early = await upload('/root-early', 100)
  t.equal(early.status, 413, 'Fastify\'s own 413 still comes before the body (the 100 waits for the read)')
  t.same(early.informational, [])
  const later = await upload('/child-later', 4)
  t.equal(later.status, 415, 'a route of a plugin registered after it gets its config.expect')
  t.same(later.informational, [])
})

t.test('the plugin covers every route of every encapsulated context below the root', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  app.register(async (scoped) => {
    scoped.addHook('onRequest', async (request, reply) => { if (request.headers.authorization === undefined) return reply.code(401).send('who') })
    scoped.post('/inside', { config: { expect: { contentTypes: ['text/plain'] } } }, async () => 'inside')
  }, { prefix: '/scoped' })
  const port = await listenOnLoopback(t, app)
  const upload = (path: string, headers: Record<string, string | number>) => rawRequest({
    port,
    head: head(`POST ${path} HTTP/1.1`, { host: 'x', 'content-type': 'application/json', 'content-length': 4, ...headers }),
    body: '"xx"'
  })
  const refused = await upload('/scoped/inside', { expect: '100-continue', authorization: 'a' })
  t.equal(refused.status, 415)
  t.same(refused.informational, [])
  const hook = await upload('/scoped/inside', { expect: '100-continue' })
  t.equal(hook.status, 401, 'the scoped hook answers first')
  const unknown = await upload('/scoped/inside', { expect: 'x-teapot' })
  t.equal(unknown.status, 417, 'unknown expectations get 417 on every route')
})

t.test('onRoute hooks added after the plugin are honoured: bodyLimit, schema, config', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  app.addHook('onRoute', (route) => {
    if (route.url === '/raised') route.bodyLimit = 10 * 1024 * 1024
    if (route.url === '/lowered') route.bodyLimit = 10
    if (route.url === '/typed') route.config = { ...route.config, expect: { contentTypes: ['text/plain'] } }
    if (route.url === '/schema') route.schema = { body: { content: { 'text/plain': { schema: { type: 'string' } } } } }
  })
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'read')) })
  app.put('/raised', { bodyLimit: 1024 }, async () => 'ok')
  app.put('/lowered', async () => 'ok')
  app.put('/typed', async () => 'ok')
  app.put('/schema', async () => 'ok')
  const port = await listenOnLoopback(t, app)
  const upload = (path: string, type: string, length: number) => rawRequest({
    port,
    head: head(`PUT ${path} HTTP/1.1`, { host: 'x', expect: '100-continue', 'content-type': type, 'content-length': length }),
    body: Buffer.alloc(length)
  })
  const raised = await upload('/raised', 'application/octet-stream', 2 * 1024 * 1024)
  t.equal(raised.status, 200, 'a raised bodyLimit lets a 2 MiB upload through')
  t.same(raised.informational, ['HTTP/1.1 100 Continue'])
  t.equal((await upload('/lowered', 'application/octet-stream', 100)).status, 413, 'a bodyLimit set later')
  t.equal((await upload('/typed', 'application/octet-stream', 10)).status, 415, 'a config.expect set later')
  t.equal((await upload('/schema', 'application/octet-stream', 10)).status, 415, 'a schema set later')
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
  t.equal(first.status, 401, 'the auth hook answers first, even on the first request')
  const second = await rawRequest({ port: server.port, head: head('POST /x HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': 100, authorization: 'a' }) })
  t.equal(second.status, 413)
})

t.test('concurrent requests on a route: every one meets the route\'s own hooks before any 100', async (t) => {
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

t.test('at start-up: a warning per declared media type no parser takes; printExpectRules() lists every route\'s rules', async (t) => {
  const lines: Array<Record<string, any>> = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  await app.register(expectPlugin)
  app.register(async (scoped) => {
    scoped.addContentTypeParser('image/png', (request, payload, done) => done(null))
    scoped.put('/img', { config: { expect: { contentTypes: ['image/png', 'image/*', 'application/pdf'] } } }, async () => 'ok')
    scoped.post('/csv', { bodyLimit: 10, schema: { headers: { type: 'object' }, body: { content: { 'text/csv': { schema: {} } } } } }, async () => 'ok')
    // A streaming parser (it takes the stream), declared without a route bodyLimit: warned; with one, not.
    scoped.addContentTypeParser('application/x-ndjson', (request, payload, done) => done(null))
    scoped.put('/ndjson', { config: { expect: { contentTypes: ['application/x-ndjson'] } } }, async () => 'ok')
    scoped.put('/ndjson-limited', { bodyLimit: 1000, config: { expect: { contentTypes: ['application/x-ndjson', 'application/json'] } } }, async () => 'ok')
    // A streaming parser with a bodyLimit of its own: the plugin holds uploads to it, so no warning.
    scoped.addContentTypeParser('application/x-capped', { bodyLimit: 5000 }, (request, payload, done) => done(null))
    scoped.put('/capped', { config: { expect: { contentTypes: ['application/x-capped'] } } }, async () => 'ok')
  })
  app.get('/plain', { exposeHeadRoute: false }, async () => 'ok')
  await app.ready()
  t.teardown(() => app.close())
  const warned = lines.filter((l) => /no content-type parser takes it/.test(l.msg)).map((l) => l.msg as string)
  t.equal(warned.length, 2, 'image/png has a parser; image/* is a range; application/pdf and text/csv have none')
  const streaming = lines.filter((l) => /reads the stream/.test(l.msg)).map((l) => l.msg as string)
  t.same(streaming.length, 2, 'the streaming parsers without a route bodyLimit: image/png on PUT /img, ndjson on PUT /ndjson')
  t.match(streaming.join('\n'), /PUT \/ndjson takes application\/x-ndjson through a parser that reads the stream/)
  t.notMatch(streaming.join('\n'), /ndjson-limited|application\/json|x-capped/, 'not with a bodyLimit (the route\'s or the parser\'s), nor for the buffered JSON parser')
  t.match(warned.join('\n'), /PUT \/img declares application\/pdf \(config\.expect\.contentTypes\)/)
  t.match(warned.join('\n'), /POST \/csv declares text\/csv \(schema\.body\.content\)/)
  t.equal(app.printExpectRules(), [
    'GET /plain: no rules (100 on the first read)',
    'PUT /img: types image/png, image/*, application/pdf',
    'POST /csv: schema types text/csv; bodyLimit 10; header schema',
    'PUT /ndjson: types application/x-ndjson',
    'PUT /ndjson-limited: types application/x-ndjson, application/json; bodyLimit 1000',
    'PUT /capped: types application/x-capped',
    ''
  ].join('\n'))
})
