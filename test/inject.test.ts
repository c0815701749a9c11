// inject(): no socket, so no 100, but the same header checks and final statuses,
// so apps can unit-test their upload rules.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import type { InjectOptions } from 'light-my-request'
import { expectPlugin } from './helpers/server'

async function build (t: Test): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(expectPlugin)
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'bytes')) })
  app.put('/files', { bodyLimit: 100, config: { expect: { contentTypes: ['application/octet-stream'] } } }, async (request) => ({ body: request.body, info: request.expectation }))
  app.post('/strict', { schema: { headers: { type: 'object', required: ['x-tenant'] } } }, async () => 'ok')
  app.post('/checked', { config: { expect: { check: () => { throw Object.assign(new Error('no'), { statusCode: 403 }) } } } }, async () => 'ok')
  t.teardown(() => app.close())
  return app
}

const expect100 = { expect: '100-continue' }

t.test('the same final statuses as over a socket', async (t) => {
  const app = await build(t)
  const cases: Array<[string, InjectOptions, number]> = [
    ['accepted', { method: 'PUT', url: '/files', headers: { ...expect100, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(50) }, 200],
    ['too large (stream parser)', { method: 'PUT', url: '/files', headers: { ...expect100, 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(101) }, 413],
    ['wrong type', { method: 'PUT', url: '/files', headers: { ...expect100, 'content-type': 'text/plain' }, payload: 'x' }, 415],
    ['header schema', { method: 'POST', url: '/strict', headers: { ...expect100, 'content-type': 'application/json' }, payload: '{}' }, 400],
    ['custom check', { method: 'POST', url: '/checked', headers: { ...expect100, 'content-type': 'application/json' }, payload: '{}' }, 403],
    ['unknown expectation', { method: 'POST', url: '/strict', headers: { expect: 'teapot', 'x-tenant': 'a' }, payload: '{}' }, 417],
    ['not found', { method: 'POST', url: '/nowhere', headers: { ...expect100, 'content-type': 'application/json' }, payload: '{}' }, 404],
    ['invalid Content-Length', { method: 'POST', url: '/strict', headers: { ...expect100, 'x-tenant': 'a', 'content-length': '1, 2' } }, 400],
    ['Content-Length and Transfer-Encoding', { method: 'POST', url: '/strict', headers: { ...expect100, 'x-tenant': 'a', 'content-length': '2', 'transfer-encoding': 'chunked' } }, 400]
  ]
  for (const [label, options, status] of cases) {
    const response = await app.inject(options)
    t.equal(response.statusCode, status, label)
  }
  // Without the Expect header the stream parser is not checked before reading: that is the plugin's doing.
  const plain = await app.inject({ method: 'PUT', url: '/files', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(101) })
  t.equal(plain.statusCode, 200)
  const framing = await app.inject({ method: 'POST', url: '/strict', headers: { ...expect100, 'x-tenant': 'a', 'content-length': 'abc' } })
  t.equal(framing.json().code, 'FST_ERR_EXPECT_INVALID_FRAMING')
})

t.test('request.expectation under inject: approved, never a 100', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'PUT', url: '/files', headers: { ...expect100, 'content-type': 'application/octet-stream' }, payload: 'abc' })
  t.same(response.json(), { body: 'bytes', info: { present: true, verdict: 'approved', continueSent: false } })
})

t.test('the chain form and the callback form', async (t) => {
  const app = await build(t)
  const chained = await app.inject().put('/files').headers({ ...expect100, 'content-type': 'text/plain' }).payload('x').end()
  t.equal(chained.statusCode, 415)
  const plainChain = await app.inject().get('/nowhere').end()
  t.equal(plainChain.statusCode, 404)
  await new Promise<void>((resolve) => {
    app.inject({ method: 'PUT', url: '/files', headers: { ...expect100, 'content-type': 'text/plain' }, payload: 'x' }, (err, response) => {
      t.error(err)
      t.equal(response?.statusCode, 415)
      resolve()
    })
  })
})

t.test('inject before ready, and a boot error reaches the caller', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  app.post('/x', { bodyLimit: 1 }, async () => 'ok')
  const response = await app.inject({ method: 'POST', url: '/x', headers: { ...expect100, 'content-type': 'application/json' }, payload: '{"a":1}' })
  t.equal(response.statusCode, 413)
  await app.close()

  const broken = Fastify()
  await broken.register(expectPlugin) // loaded: its inject() answers, and meets the boot error
  broken.register(async () => { throw new Error('boot failed') })
  await t.rejects(broken.inject({ method: 'POST', url: '/x', headers: expect100, payload: '{}' }), /boot failed/)
})

t.test('after close, inject() fails as Fastify\'s does', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  app.post('/x', async () => 'ok')
  await app.ready()
  await app.close()
  await t.rejects(async () => { await app.inject({ method: 'POST', url: '/x', headers: expect100, payload: '{}' }) }, { code: 'FST_ERR_REOPENED_CLOSE_SERVER' })
})

t.test('every form of inject() options', async (t) => {
  const app = await build(t)
  t.equal((await app.inject('/nowhere')).statusCode, 404, 'a URL string')
  t.equal((await app.inject({ url: '/nowhere' })).statusCode, 404, 'no headers')
  t.equal((await app.inject({ url: '/nowhere', headers: { 'x-a': '1' } })).statusCode, 404, 'headers without Expect')
  t.equal((await app.inject({ method: 'PUT', url: '/files', headers: { EXPECT: 'nope' } })).statusCode, 417, 'Expect in capitals')
})
