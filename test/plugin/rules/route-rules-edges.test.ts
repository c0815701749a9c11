// The edges of a route's rules: a body of unknown length is cut past the
// route's bodyLimit, not at it; a request with no body meets no rule.
import t from 'tap'
import Fastify from 'fastify'
import fastifyExpect from '../../../plugin/index'
import { head, rawRequest } from '../../helpers/raw-client'
import { listen } from '../../helpers/server'

const chunked = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`
const withAndWithout: Array<Record<string, string>> = [{ expect: '100-continue' }, {}]

t.test('a chunked body of exactly bodyLimit bytes is read; one byte more is refused while it streams', async (t) => {
  const server = await listen(t, (app) => {
    // A streaming parser: Fastify itself counts nothing, the plugin's limit is the only one.
    app.addContentTypeParser('application/octet-stream', (request, payload, done) => {
      let bytes = 0
      payload.on('data', (chunk: Buffer) => { bytes += chunk.length })
      payload.on('end', () => { done(null, bytes) })
      payload.on('error', done)
    })
    app.put('/blob', { bodyLimit: 100 }, async (request) => ({ bytes: request.body }))
  })
  for (const expect of withAndWithout) {
    const label = 'expect' in expect ? 'with Expect' : 'without Expect'
    const upload = (size: number) => rawRequest({
      port: server.port,
      head: head('PUT /blob HTTP/1.1', { host: 'x', 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked', ...expect }),
      body: chunked('a'.repeat(size)),
      sendBody: 'expect' in expect ? 'on-continue' : 'now'
    })
    const atLimit = await upload(100)
    t.equal(atLimit.status, 200, `${label}: 100 bytes, at the limit`)
    t.same(JSON.parse(atLimit.body), { bytes: 100 })
    const over = await upload(101)
    t.equal(over.status, 413, `${label}: 101 bytes, over it`)
    t.equal(over.headers.connection, 'close', `${label}: the rest is never read as a request`)
  }
})

t.test('a request with no body meets no rule, with or without Expect', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/images', { config: { expect: { contentTypes: ['image/*'] } } }, async (request) => ({ body: request.body ?? null }))
  })
  for (const expect of withAndWithout) {
    const r = await rawRequest({ port: server.port, head: head('POST /images HTTP/1.1', { host: 'x', 'content-length': 0, ...expect }) })
    t.equal(r.status, 200, `${'expect' in expect ? 'with' : 'without'} Expect: no Content-Type needed for no body`)
    t.same(r.informational, [])
  }
})

t.test('a check that throws or rejects refuses from the head, with its own status; one that resolves lets the body in', async (t) => {
  const quota = { statusCode: 429, message: 'Quota exceeded' }
  const server = await listen(t, (app) => {
    type Request = import('fastify').FastifyRequest
    // A synchronous check that throws an Error, and an async one whose promise rejects with a plain object.
    const checks = {
      throws: (request: Request) => {
        if (request.headers['x-quota'] === 'over') throw Object.assign(new Error(quota.message), { statusCode: quota.statusCode })
      },
      rejects: async (request: Request) => {
        if (request.headers['x-quota'] === 'over') await Promise.reject(quota)
      }
    }
    for (const [kind, check] of Object.entries(checks)) {
      app.post(`/${kind}`, { config: { expect: { check } } }, async (request) => ({ got: request.body }))
    }
  })
  const body = JSON.stringify({ a: 1 })
  for (const kind of ['throws', 'rejects']) {
    for (const expect of withAndWithout) {
      const label = `${kind}, ${'expect' in expect ? 'with Expect' : 'without Expect'}`
      const send = (quotaHeader: string) => rawRequest({
        port: server.port,
        head: head(`POST /${kind} HTTP/1.1`, { host: 'x', 'content-type': 'application/json', 'content-length': body.length, 'x-quota': quotaHeader, ...expect }),
        body,
        sendBody: 'expect' in expect ? 'on-continue' : 'now'
      })
      const refused = await send('over')
      t.equal(refused.status, 429, `${label}: the check's status`)
      t.match(JSON.parse(refused.body), { message: quota.message }, `${label}: the check's message`)
      if ('expect' in expect) {
        t.same(refused.informational, [], `${label}: no 100`)
        t.equal(refused.bodyBytesSent, 0, `${label}: no body byte sent`)
      }
      const accepted = await send('fine')
      t.equal(accepted.status, 200, `${label}: a check that resolves lets the body in`)
      t.same(JSON.parse(accepted.body), { got: { a: 1 } })
    }
  }
})

t.test('every route shares one getter and setter per hook: no closures per route', async (t) => {
  const app = Fastify()
  await app.register(fastifyExpect)
  const routes: object[] = []
  app.addHook('onRoute', (route) => { routes.push(route) })
  app.put('/a', { bodyLimit: 10 }, async () => 'a')
  app.get('/b', async () => 'b')
  await app.ready()
  const [a, b] = routes.map((route) => Object.getOwnPropertyDescriptor(route, 'preParsing'))
  t.equal(typeof a?.get, 'function', 'the hook is an accessor')
  t.equal(a?.get, b?.get, 'the same getter on both routes')
  t.equal(a?.set, b?.set, 'the same setter')
  t.equal(Object.getOwnPropertyDescriptor(routes[0] as object, 'onSend')?.get, Object.getOwnPropertyDescriptor(routes[1] as object, 'onSend')?.get)
  // The accessor alone, on an object that is not a route: nothing to read, a plain value to write.
  const foreign = Object.defineProperties({}, { preParsing: a as PropertyDescriptor })
  t.equal((foreign as { preParsing?: unknown }).preParsing, undefined, 'a foreign object reads nothing')
  ;(foreign as { preParsing?: unknown }).preParsing = 'x'
  t.equal((foreign as { preParsing?: unknown }).preParsing, 'x', 'and keeps what it is given')
  await app.close()
})

t.test('a route seen through a Proxy or copied with its descriptors keeps the plugin\'s hooks', async (t) => {
  type Hooks = { preParsing?: unknown, onSend?: unknown }
  const names = (list: unknown): string[] => [list].flat().map((fn) => (fn as { name?: string } | undefined)?.name ?? String(fn))
  const app = Fastify()
  await app.register(fastifyExpect)
  const seen: Array<{ proxy: Hooks, copy: Hooks }> = []
  // An onRoute hook after the plugin's, as instrumentation wraps hooks: through a Proxy of the route.
  app.addHook('onRoute', (route) => {
    const proxy = new Proxy(route, {}) as Hooks
    seen.push({ proxy, copy: Object.create(Object.getPrototypeOf(route), Object.getOwnPropertyDescriptors(route)) as Hooks })
    proxy.onSend = [...[proxy.onSend ?? []].flat(), function wrapped (_req: unknown, _reply: unknown, payload: unknown, done: (err: null, p: unknown) => void) { done(null, payload) }]
  })
  app.put('/a', { bodyLimit: 10, preParsing: function own (_req, _reply, payload, done) { done(null, payload) } }, async () => 'a')
  await app.ready()
  const [{ proxy, copy }] = seen as [{ proxy: Hooks, copy: Hooks }]
  t.same(names(proxy.preParsing), ['own', 'fastifyExpectRules'], 'read through the Proxy')
  t.same(names(copy.preParsing), ['own', 'fastifyExpectRules'], 'read from a copy of the descriptors')
  t.same(names(proxy.onSend), ['fastifyExpectStagedClose', 'wrapped'], 'a hook added through the Proxy joins the plugin\'s')
  const printed = app.printRoutes({ includeHooks: true, commonPrefix: false })
  t.match(printed, /\(onSend\) \["fastifyExpectStagedClose\(\)","wrapped\(\)"\]/, 'and Fastify runs both')
  await app.close()
})

t.test('a header schema is checked before the body only for a client that waits: without Expect, Fastify checks it after the body and the connection stays', async (t) => {
  const server = await listen(t, (app) => {
    app.post('/h', {
      schema: { headers: { type: 'object', properties: { 'x-token': { type: 'string' } }, required: ['x-token'] } }
    }, async () => 'ok')
  })
  const body = JSON.stringify({ a: 1 })
  const send = (expect: Record<string, string>) => rawRequest({
    port: server.port,
    head: head('POST /h HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': body.length, ...expect }),
    body,
    sendBody: 'expect' in expect ? 'on-continue' : 'now'
  })
  const waiting = await send({ expect: '100-continue' })
  t.equal(waiting.status, 400, 'with Expect: 400 from the head')
  t.same(waiting.informational, [], 'no 100')
  t.equal(waiting.bodyBytesSent, 0, 'no body byte sent')
  t.equal(waiting.headers.connection, 'close', 'the body it announced is never read as a request')
  const sending = await send({})
  t.equal(sending.status, 400, 'without Expect: Fastify\'s own 400, after the body')
  t.equal(sending.bodyBytesSent, body.length)
  t.not(sending.headers.connection, 'close', 'the body was read: the connection stays usable')
})
