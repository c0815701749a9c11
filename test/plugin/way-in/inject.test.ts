// inject(): no socket, so no server event: no 100, and no 417 (answered by the
// server event, as Node's own 417 is). Every rule a route declares, and every
// hook, answers the same as over a socket, with or without Expect, so apps can
// unit-test their upload rules.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify'
import { expectationOf } from '../../../plugin/index'
import { expectPlugin } from '../../helpers/server'

async function build (t: Test): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(expectPlugin)
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => { payload.resume(); payload.on('end', () => done(null, 'bytes')) })
  app.put('/files', { bodyLimit: 100, config: { expect: { contentTypes: ['application/octet-stream'] } } }, async (request) => ({ body: request.body, info: expectationOf(request) }))
  app.post('/strict', { schema: { headers: { type: 'object', required: ['x-tenant'] } } }, async () => 'ok')
  app.post('/checked', { config: { expect: { check: () => { throw Object.assign(new Error('no'), { statusCode: 403 }) } } } }, async () => 'ok')
  t.teardown(() => app.close())
  return app
}

t.test('the final statuses a route gives, with and without Expect', async (t) => {
  const app = await build(t)
  const cases: Array<[string, InjectOptions, number]> = [
    ['accepted', { method: 'PUT', url: '/files', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(50) }, 200],
    ['too large (stream parser)', { method: 'PUT', url: '/files', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.alloc(101) }, 413],
    ['wrong type', { method: 'PUT', url: '/files', headers: { 'content-type': 'text/plain' }, payload: 'x' }, 415],
    ['header schema', { method: 'POST', url: '/strict', headers: { 'content-type': 'application/json' }, payload: '{}' }, 400],
    ['custom check', { method: 'POST', url: '/checked', headers: { 'content-type': 'application/json' }, payload: '{}' }, 403],
    ['not found', { method: 'POST', url: '/nowhere', headers: { 'content-type': 'application/json' }, payload: '{not json' }, 404]
  ]
  for (const [label, options, status] of cases) {
    for (const expect of [undefined, '100-continue']) {
      const headers = { ...options.headers, ...(expect === undefined ? {} : { expect }) }
      const response = await app.inject({ ...options, headers })
      t.equal(response.statusCode, status, `${label}, ${expect ?? 'no Expect'}`)
    }
  }
})

t.test('no server event under inject: the request is not seen, never a 100', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'PUT', url: '/files', headers: { expect: '100-continue', 'content-type': 'application/octet-stream' }, payload: 'abc' })
  t.same(response.json(), { body: 'bytes', info: { present: true, verdict: 'ignored', reason: 'not-seen', continueSent: false } })
  const other = await app.inject({ method: 'POST', url: '/strict', headers: { expect: 'teapot', 'x-tenant': 'a', 'content-type': 'application/json' }, payload: '{}' })
  t.equal(other.statusCode, 200, 'an unknown expectation is the server event\'s to answer (417 over a socket)')
})
