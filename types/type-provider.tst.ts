import Fastify from 'fastify'
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { expect } from 'tstyche'
import fastifyExpect, { expectationOf } from '..'

// Routes typed by @fastify/type-provider-typebox (v6, `typebox` 1.x) keep config.expect typed.
const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
app.register(fastifyExpect)
const Body = Type.Object({ name: Type.String() })

app.post('/items', {
  schema: { body: Body, headers: Type.Object({ 'x-tenant': Type.String() }) },
  config: {
    expect: {
      contentTypes: ['application/json'],
      check: async (request) => {
        expect(expectationOf(request).present).type.toBe<boolean>()
      }
    }
  }
}, async (request) => {
  expect(request.body).type.toBe<{ name: string }>()
  expect(request.headers['x-tenant']).type.toBe<string>()
  expect(expectationOf(request).continueSent).type.toBe<boolean>()
  return request.body.name
})
app.post('/off', { schema: { body: Body }, config: { expect: false } }, async () => 'ok')
expect(app.post).type.not.toBeCallableWith('/bad', { schema: { body: Body }, config: { expect: { contentTypes: 5 } } }, async () => 'ok')
expect(app.post).type.not.toBeCallableWith('/bad', { schema: { body: Body }, config: { expect: { sendContinue: 'never' } } }, async () => 'ok')
