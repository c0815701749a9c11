import Fastify from 'fastify'
import { expect } from 'tstyche'
import fastifyExpect, { errorCodes, expectationOf, fastifyExpect as named, type ExpectationInfo, type FastifyExpectOptions, type RouteExpectConfig } from '..'

const app = Fastify()

// Registration and options
app.register(fastifyExpect)
app.register(fastifyExpect, {})
app.register(fastifyExpect, { sendContinue: 'on-read' })
app.register(fastifyExpect, { sendContinue: 'after-checks', rejectionLogLevel: 'warn' })
app.register(named)
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { sendContinue: 'later' })
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { unknownOption: true })
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { rejectionLogLevel: 'loud' })
app.register(fastifyExpect, { lingerTimeout: 2000, lingerBytes: 16 * 1024 * 1024, maxLingeringSockets: 100 })
app.register(fastifyExpect, { lingerTimeout: 0 })
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { lingerTimeout: '5s' })
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { maxLingeringSockets: true })
app.register(fastifyExpect, { sendContinue: 'immediately' })
expect(app.put).type.not.toBeCallableWith('/i', { config: { expect: { sendContinue: 'immediately' } } }, async () => 'ok')
expect<FastifyExpectOptions>().type.toBe<{
  sendContinue?: 'on-read' | 'after-checks' | 'immediately'
  rejectionLogLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  lingerTimeout?: number
  lingerBytes?: number
  maxLingeringSockets?: number
  maxConcurrentUploads?: number
  admissionTimeout?: number
  admission?: 'refuse' | 'queue'
}>()

// Admission
app.register(fastifyExpect, { maxConcurrentUploads: 8, admissionTimeout: 500, admission: 'queue' })
expect(app.register).type.not.toBeCallableWith(fastifyExpect, { admission: 'wait' })
app.put('/slots', { config: { expect: { maxConcurrentUploads: 2 } } }, async () => 'ok')
expect(app.put).type.not.toBeCallableWith('/slots', { config: { expect: { maxConcurrentUploads: '2' } } }, async () => 'ok')
expect(app.expectAdmission.inUse).type.toBe<number>()
expect(app.expectAdmission.limit).type.toBe<number | undefined>()
expect(app.expectAdmission.routes['PUT /slots']?.queued).type.toBe<number | undefined>()
expect(new errorCodes.FST_ERR_EXPECT_BUSY(1).statusCode).type.toBe<503>()
app.get('/w', async (request) => {
  expect(expectationOf(request).admissionWait).type.toBe<number | undefined>()
  return 'ok'
})

// Route config
app.put('/a', { config: { expect: { contentTypes: ['image/*'] } } }, async () => 'ok')
app.put('/b', { config: { expect: false } }, async () => 'ok')
app.put('/c', {
  config: {
    expect: {
      sendContinue: 'after-checks',
      check: async (request, reply) => {
        expect(expectationOf(request).present).type.toBe<boolean>()
        expect(reply.code).type.toBeCallableWith(403)
      }
    }
  }
}, async () => 'ok')
expect(app.put).type.not.toBeCallableWith('/d', { config: { expect: { contentTypes: 5 } } }, async () => 'ok')
expect(app.put).type.not.toBeCallableWith('/e', { config: { expect: { contentTypes: 'image/png' } } }, async () => 'ok')
// Fastify infers a route's config type from the literal, so whole-object mistakes are caught on the type itself.
expect<RouteExpectConfig>().type.toBeAssignableFrom(false as const)
expect<RouteExpectConfig>().type.not.toBeAssignableFrom(true as const)
expect<RouteExpectConfig>().type.not.toBeAssignableFrom({ nope: 1 })
expect<RouteExpectConfig>().type.not.toBeAssignableFrom({ sendContinue: 'never' })

// Per-request info
app.get('/h', async (request) => {
  expect(expectationOf(request)).type.toBe<ExpectationInfo>()
  expect(expectationOf(request.raw).continueSent).type.toBe<boolean>()
  expect(expectationOf(request).verdict).type.toBe<'pending' | 'continued' | 'refused' | 'expectation-failed' | 'ignored' | 'none'>()
  return 'ok'
})

// Error codes
expect(new errorCodes.FST_ERR_EXPECTATION_FAILED('x').statusCode).type.toBe<417>()
expect(new errorCodes.FST_ERR_EXPECT_INVALID_FRAMING('x').code).type.toBe<'FST_ERR_EXPECT_INVALID_FRAMING'>()

// At route position, config.expect takes only false or the documented object.
expect(app.put).type.not.toBeCallableWith('/t', { config: { expect: true } }, async () => 'ok')
expect(app.put).type.not.toBeCallableWith('/t', { config: { expect: 'yes' } }, async () => 'ok')
expect(app.route).type.not.toBeCallableWith({ method: 'PUT', url: '/t', config: { expect: true }, handler: async () => 'ok' })
// Unknown keys inside the object: Fastify widens a route's config to what the literal says,
// so they are caught at registration (a TypeError naming the key) and where RouteExpectConfig is named.
expect<RouteExpectConfig>().type.not.toBeAssignableFrom({ contentType: ['image/png'] })
