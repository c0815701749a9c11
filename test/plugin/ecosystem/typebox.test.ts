// @fastify/type-provider-typebox (v6, with the `typebox` 1.x package): a typed
// route with body and header schemas and config.expect type-checks (this file
// is type-checked by `tsc -p tsconfig.json`) and behaves over real sockets.
// The type provider is not a plugin, so there is no register order to test.
import { expectationOf } from '../../../plugin/index'
import t from 'tap'
import { Type, TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { listen } from '../../helpers/server'
import { uploadHead } from '../../helpers/ecosystem'
import { rawRequest } from '../../helpers/raw-client'

const Item = Type.Object({ name: Type.String({ minLength: 1 }), tags: Type.Array(Type.String()) })
const Headers = Type.Object({ 'x-tenant': Type.String({ pattern: '^[a-z0-9-]+$' }) })

function typedRoutes (untyped: FastifyInstance): void {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  app.post('/items', {
    bodyLimit: 4096,
    schema: { body: Item, headers: Headers },
    config: {
      expect: {
        contentTypes: ['application/json'],
        check: (request) => {
          if (request.headers['x-tenant'] === 'suspended') throw Object.assign(new Error('tenant suspended'), { statusCode: 403 })
        }
      }
    }
  }, async (request, reply) => {
    // Inferred from the schemas: these assignments are checked by tsc.
    const name: string = request.body.name
    const tags: string[] = request.body.tags
    const tenant: string = request.headers['x-tenant']
    return reply.code(201).send({ name, tags, tenant, continueSent: expectationOf(request).continueSent })
  })
}

/** Never called: wrong config.expect types are compile errors on a typed route too. */
export function typeErrors (untyped: FastifyInstance): void {
  const app = untyped.withTypeProvider<TypeBoxTypeProvider>()
  // @ts-expect-error contentTypes is a string[]
  app.post('/bad', { schema: { body: Item }, config: { expect: { contentTypes: 5 } } }, async () => 'never')
  // @ts-expect-error sendContinue is 'on-read' or 'after-checks'
  app.post('/bad', { schema: { body: Item }, config: { expect: { sendContinue: 'never' } } }, async () => 'never')
}

const itemHead = (headers: Record<string, string | number>, body: string): string =>
  uploadHead('POST /items', { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers })
const send = (port: number, headers: Record<string, string | number>, body: string) =>
  rawRequest({ port, head: itemHead(headers, body), body })

t.test('a TypeBox-typed route: decided before the body from its headers, validated after it', async (t) => {
  const server = await listen(t, typedRoutes)
  const item = JSON.stringify({ name: 'lamp', tags: ['home'] })

  const ok = await send(server.port, { 'x-tenant': 'acme' }, item)
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 201)
  t.same(JSON.parse(ok.body), { name: 'lamp', tags: ['home'], tenant: 'acme', continueSent: true })

  const refusals: Array<{ label: string, headers: Record<string, string | number>, status: number, code: string | undefined }> = [
    { label: 'header schema', headers: { 'x-tenant': 'ACME!' }, status: 400, code: 'FST_ERR_VALIDATION' },
    { label: 'bodyLimit', headers: { 'x-tenant': 'acme', 'content-length': 5000 }, status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' },
    { label: 'contentTypes', headers: { 'x-tenant': 'acme', 'content-type': 'text/plain' }, status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
    { label: 'check', headers: { 'x-tenant': 'suspended' }, status: 403, code: undefined }
  ]
  for (const c of refusals) {
    const before = server.bytesRead()
    const r = await send(server.port, c.headers, item)
    t.equal(r.status, c.status, c.label)
    t.equal(JSON.parse(r.body).code, c.code, c.label)
    t.same(r.informational, [], `${c.label}: no 100`)
    t.equal(r.bodyBytesSent, 0, `${c.label}: no body sent`)
    t.equal(server.bytesRead() - before, itemHead(c.headers, item).length, `${c.label}: the server read only the head`)
  }

  // The body's schema can only be checked once the body is there.
  const invalid = await send(server.port, { 'x-tenant': 'acme' }, JSON.stringify({ name: '', tags: 'nope' }))
  t.same(invalid.informational, ['HTTP/1.1 100 Continue'])
  t.equal(invalid.status, 400)
  t.match(JSON.parse(invalid.body).message, /^body\//)
})

// TypeBox's own validator compiler (the type provider's TypeBoxValidatorCompiler)
// returns { value } or { error } instead of true/false, a form Fastify's
// validator-compiler contract allows (fastify-type-provider-zod's does the same).
// The plugin's early header check expects true/false, so every expectation
// request on a route with a header schema fails. FAILS until the plugin's
// validateHeaders (plugin/gate.ts) accepts both result forms.
t.test('a route validated by TypeBoxValidatorCompiler: header checks before the body', async (t) => {
  const server = await listen(t, (app) => {
    app.setValidatorCompiler(TypeBoxValidatorCompiler)
    typedRoutes(app)
  })
  const item = JSON.stringify({ name: 'lamp', tags: [] })
  const ok = await send(server.port, { 'x-tenant': 'acme' }, item)
  t.equal(ok.status, 201, `valid headers are accepted (got ${ok.status} ${ok.body})`)
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  const bad = await send(server.port, { 'x-tenant': 'ACME!' }, item)
  t.equal(bad.status, 400, `invalid headers get Fastify's 400 (got ${bad.status} ${bad.body})`)
  t.same(bad.informational, [])
  t.equal(bad.bodyBytesSent, 0)
})
