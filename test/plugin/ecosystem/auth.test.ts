// @fastify/auth, the real package, over real sockets, registered before and
// after fastify-expect. Where the auth runs decides what the client sends:
// - `onRequest: fastify.auth([...])` (or any onRequest hook): 401 before the body;
// - `preHandler: fastify.auth([...])`, as @fastify/auth's README shows: the
//   body parser runs first, reads the body (that sends the 100), and only then
//   does the 401 come. (For multipart routes the parser reads nothing, so a
//   preHandler still answers first: see ecosystem-multipart.test.ts.)
import t from 'tap'
import fastifyAuth from '@fastify/auth'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { listen } from '../../helpers/server'
import { ORDERS, registerInOrder, uploadHead } from '../../helpers/ecosystem'
import { head, rawRequest } from '../../helpers/raw-client'

const body = JSON.stringify({ doc: 'y'.repeat(2000) })
const jsonUpload = { 'content-type': 'application/json', 'content-length': body.length }
const GOOD = 'Bearer good-token'

function verifyToken (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  if (request.headers.authorization === GOOD) done()
  else done(Object.assign(new Error('invalid or missing token'), { statusCode: 401 }))
}
function verifyApiKey (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
  if (request.headers['x-api-key'] === 'k1') done()
  else done(Object.assign(new Error('invalid api key'), { statusCode: 401 }))
}

for (const order of ORDERS) {
  t.test(`@fastify/auth registered ${order} fastify-expect`, async (t) => {
    const server = await listen(t, async (app) => {
      await registerInOrder(app, order, () => app.register(fastifyAuth))
      app.post('/docs', { onRequest: app.auth([verifyToken, verifyApiKey]) }, async (request) => ({ size: (request.body as { doc: string }).doc.length }))
      app.post('/late', { preHandler: app.auth([verifyToken]) }, async () => 'stored')
    }, { plugin: false })

    // Unauthorized, as the route's first request, then after plain and authorized ones.
    const refuse = async (label: string): Promise<void> => {
      const before = server.bytesRead()
      const requestHead = uploadHead('POST /docs', jsonUpload)
      const r = await rawRequest({ port: server.port, head: requestHead, body })
      t.equal(r.status, 401, label)
      t.equal(JSON.parse(r.body).message, 'invalid api key', 'the error of the last function tried (relation "or")')
      t.same(r.informational, [])
      t.equal(r.bodyBytesSent, 0, 'the client sent no body')
      t.equal(server.bytesRead() - before, requestHead.length, 'the server read only the head')
      t.equal(r.headers.connection, 'close')
    }
    await refuse('the route\'s first request')
    const plain = await rawRequest({ port: server.port, head: head('POST /docs HTTP/1.1', { host: 'localhost', ...jsonUpload }), body, sendBody: 'now' })
    t.equal(plain.status, 401, 'without Expect, the same answer after the body')
    for (const credentials of [{ authorization: GOOD }, { 'x-api-key': 'k1' }] as Array<Record<string, string>>) {
      const ok = await rawRequest({ port: server.port, head: uploadHead('POST /docs', { ...jsonUpload, ...credentials }), body })
      t.same(ok.informational, ['HTTP/1.1 100 Continue'])
      t.equal(ok.status, 200)
      t.same(JSON.parse(ok.body), { size: 2000 })
    }
    await refuse('a later request')

    // In a preHandler hook, auth comes after the body parser: the body is uploaded first.
    const late = await rawRequest({ port: server.port, head: uploadHead('POST /late', jsonUpload), body })
    t.same(late.informational, ['HTTP/1.1 100 Continue'], 'preHandler: the JSON parser asked for the body first')
    t.equal(late.bodyBytesSent, body.length)
    t.equal(late.status, 401)
  })
}
