// Unit tests for plugin options, per-route `config.expect` and route policies.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import {
  LINGER_DEFAULTS,
  PluginOptionsSchema,
  RouteExpectSchema,
  resolvePluginOptions,
  validateRouteConfig,
  type ResolvedOptions
} from '../plugin/options'
import { derivePolicy, notFoundPolicy, type ContentTypeParser, type ParserRegistry } from '../plugin/route-policy'

/** The TypeError a call throws (fails the test when it does not throw one). */
function thrown (t: tap.Test, fn: () => unknown, name: string): string {
  try {
    fn()
  } catch (error) {
    t.ok(error instanceof TypeError, `${name}: a TypeError`)
    return (error as Error).message
  }
  t.fail(`${name}: should have thrown`)
  return ''
}

t.test('resolvePluginOptions: defaults', async (t) => {
  t.same(resolvePluginOptions({}), { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
  t.same(resolvePluginOptions({ sendContinue: undefined, rejectionLogLevel: undefined }), { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
})

t.test('resolvePluginOptions: valid values', async (t) => {
  t.same(resolvePluginOptions({ sendContinue: 'after-checks' }), { sendContinue: 'after-checks', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
  t.same(resolvePluginOptions({ sendContinue: 'on-read' }), { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
    t.same(resolvePluginOptions({ rejectionLogLevel: level }), { sendContinue: 'on-read', rejectionLogLevel: level, ...LINGER_DEFAULTS }, level)
  }
  t.same(resolvePluginOptions({ sendContinue: 'after-checks', rejectionLogLevel: 'silent' }), { sendContinue: 'after-checks', rejectionLogLevel: 'silent', ...LINGER_DEFAULTS })
})

t.test('resolvePluginOptions: Fastify register options are accepted silently', async (t) => {
  const cases: Array<Record<string, unknown>> = [
    { prefix: '/api' },
    { logLevel: 'warn' },
    { logSerializers: { req: () => ({}) } },
    { prefix: '/api', logLevel: 'debug', logSerializers: {} },
    // They are Fastify's, so their values are not ours to check either.
    { prefix: 5, logLevel: 'not-a-level' }
  ]
  for (const options of cases) {
    t.same(resolvePluginOptions(options), { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS }, Object.keys(options).join(','))
  }
  t.same(resolvePluginOptions({ prefix: '/x', sendContinue: 'after-checks' }), { sendContinue: 'after-checks', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
})

t.test('resolvePluginOptions: unknown options and wrong values are TypeErrors naming the field', async (t) => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['typo', { sendContinu: 'on-read' }, 'fastify-expect options: /sendContinu Unexpected property'],
    ['unknown option', { timeout: 10 }, 'fastify-expect options: /timeout Unexpected property'],
    ['unknown next to a valid one', { sendContinue: 'on-read', foo: true }, 'fastify-expect options: /foo Unexpected property'],
    ['wrong enum value', { sendContinue: 'never' }, 'fastify-expect options: /sendContinue Expected union value'],
    ['case matters', { sendContinue: 'ON-READ' }, 'fastify-expect options: /sendContinue Expected union value'],
    ['wrong type', { sendContinue: true }, 'fastify-expect options: /sendContinue Expected union value'],
    ['null is not undefined', { sendContinue: null }, 'fastify-expect options: /sendContinue Expected union value'],
    ['wrong log level', { rejectionLogLevel: 'loud' }, 'fastify-expect options: /rejectionLogLevel Expected union value'],
    ['log level as a number', { rejectionLogLevel: 30 }, 'fastify-expect options: /rejectionLogLevel Expected union value']
  ]
  for (const [name, options, message] of cases) {
    t.equal(thrown(t, () => resolvePluginOptions(options), name), message, name)
  }
})

t.test('validateRouteConfig: valid configs are returned as given', async (t) => {
  const check = (): void => {}
  const cases: unknown[] = [
    false,
    {},
    { contentTypes: ['image/*'] },
    { contentTypes: ['*/*'] },
    { contentTypes: ['image/png', 'application/json; charset=utf-8', 'IMAGE/JPEG'] },
    { check },
    { check: async () => {} },
    { sendContinue: 'on-read' },
    { sendContinue: 'after-checks' },
    { contentTypes: ['text/plain'], check, sendContinue: 'after-checks' },
    { contentTypes: undefined, check: undefined, sendContinue: undefined }
  ]
  for (const config of cases) {
    t.equal(validateRouteConfig(config, 'POST /x'), config, JSON.stringify(config))
  }
})

t.test('validateRouteConfig: invalid configs are TypeErrors naming the route and the field', async (t) => {
  const prefix = 'config.expect of PUT /files/:id: '
  const cases: Array<[string, unknown, string]> = [
    ['contentTypes not an array', { contentTypes: 5 }, '/contentTypes Expected array'],
    ['contentTypes a string', { contentTypes: 'image/png' }, '/contentTypes Expected array'],
    ['contentTypes empty', { contentTypes: [] }, '/contentTypes Expected array length to be greater or equal to 1'],
    ['contentTypes not strings', { contentTypes: [5] }, '/contentTypes/0 Expected string'],
    ['contentTypes not a media type', { contentTypes: ['nope'] }, '/contentTypes/0 "nope" is not a media type or range such as "image/png" or "image/*"'],
    ['second contentTypes entry bad', { contentTypes: ['image/png', 'image/'] }, '/contentTypes/1 "image/" is not a media type or range such as "image/png" or "image/*"'],
    ['*/subtype is not a range', { contentTypes: ['*/png'] }, '/contentTypes/0 "*/png" is not a media type or range such as "image/png" or "image/*"'],
    ['empty string', { contentTypes: [''] }, '/contentTypes/0 "" is not a media type or range such as "image/png" or "image/*"'],
    ['unknown key', { contentType: ['image/png'] }, '/contentType Unexpected property'],
    ['check not a function', { check: 'yes' }, '/check Expected function'],
    ['check an object', { check: {} }, '/check Expected function'],
    ['bad sendContinue', { sendContinue: 'later' }, '/sendContinue Expected union value'],
    ['true', true, 'Expected union value'],
    ['a number', 5, 'Expected union value'],
    ['a string', 'image/png', 'Expected union value'],
    ['null', null, 'Expected union value'],
    ['an array', ['image/png'], 'Expected object']
  ]
  for (const [name, config, detail] of cases) {
    t.equal(thrown(t, () => validateRouteConfig(config, 'PUT /files/:id'), name), prefix + detail, name)
  }
})

t.test('schemas agree with the validation', async (t) => {
  t.ok(Value.Check(PluginOptionsSchema, {}))
  t.notOk(Value.Check(PluginOptionsSchema, { prefix: '/x' }), 'register options are filtered out before the schema sees them')
  t.ok(Value.Check(RouteExpectSchema, false))
  t.notOk(Value.Check(RouteExpectSchema, true))
})

t.test('a failed check with no detail from TypeBox still gives a message', async (t) => {
  // Value.Check and Value.Errors always agree in practice; this covers the fallback wording.
  const mocked = t.mockRequire<typeof import('../plugin/options')>('../plugin/options', {
    '@sinclair/typebox/value': {
      Value: {
        Check: () => false,
        Errors: () => ({ First: () => undefined })
      }
    }
  })
  t.equal(thrown(t, () => mocked.resolvePluginOptions({}), 'plugin options'), 'fastify-expect options: is invalid')
  t.equal(thrown(t, () => mocked.validateRouteConfig({}, 'GET /'), 'route object'), 'config.expect of GET /: is invalid')
  t.equal(thrown(t, () => mocked.validateRouteConfig(false, 'GET /'), 'route false'), 'config.expect of GET /: is invalid')
})

// Route policies.

const OPTIONS: ResolvedOptions = { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS }
const PARSERS: ParserRegistry = {
  getParser: (): ContentTypeParser | undefined => undefined
}

t.test('derivePolicy: defaults for a plain route', async (t) => {
  const policy = derivePolicy({ method: 'POST', url: '/x' }, PARSERS, 1234, OPTIONS)
  t.same(policy, {
    route: 'POST /x',
    enabled: true,
    notFound: false,
    bodyLimit: undefined,
    serverBodyLimit: 1234,
    contentTypes: undefined,
    schemaContentTypes: undefined,
    parsers: PARSERS,
    bodylessMethods: new Set(['GET', 'HEAD', 'TRACE']),
    check: undefined,
    sendContinue: 'on-read'
  })
  const own = new Set(['GET'])
  t.equal(derivePolicy({ method: 'POST', url: '/x' }, PARSERS, 1, OPTIONS, own).bodylessMethods, own, 'the app\'s own set is kept')
  t.equal(policy.parsers, PARSERS, 'the registry is kept, not copied')
  t.equal(derivePolicy({ method: 'POST', url: '/x' }, PARSERS, 1, { ...OPTIONS, sendContinue: 'after-checks' }).sendContinue, 'after-checks')
})

t.test('derivePolicy: route name', async (t) => {
  const cases: Array<[string | string[], string, string]> = [
    ['POST', '/x', 'POST /x'],
    ['PUT', '/files/:id', 'PUT /files/:id'],
    [['POST', 'PUT'], '/upload', 'POST,PUT /upload'],
    [['PATCH'], '/', 'PATCH /']
  ]
  for (const [method, url, name] of cases) {
    t.equal(derivePolicy({ method, url }, PARSERS, 1, OPTIONS).route, name)
  }
  t.equal(
    thrown(t, () => derivePolicy({ method: ['POST', 'PUT'], url: '/u', expect: { nope: 1 } }, PARSERS, 1, OPTIONS), 'name in errors'),
    'config.expect of POST,PUT /u: /nope Unexpected property'
  )
})

t.test('derivePolicy: bodyLimit', async (t) => {
  t.equal(derivePolicy({ method: 'POST', url: '/x', bodyLimit: 10 }, PARSERS, 1, OPTIONS).bodyLimit, 10)
  t.equal(derivePolicy({ method: 'POST', url: '/x', bodyLimit: null }, PARSERS, 1, OPTIONS).bodyLimit, undefined, 'null (Fastify: none)')
  t.equal(derivePolicy({ method: 'POST', url: '/x', bodyLimit: undefined }, PARSERS, 1, OPTIONS).bodyLimit, undefined)
})

t.test('derivePolicy: config.expect', async (t) => {
  const check = (): void => {}
  const on = derivePolicy({ method: 'POST', url: '/x', expect: { contentTypes: ['image/*', 'Application/JSON; q=1'], check, sendContinue: 'after-checks' } }, PARSERS, 1, OPTIONS)
  t.equal(on.enabled, true)
  t.same(on.contentTypes, [{ type: 'image', subtype: '*' }, { type: 'application', subtype: 'json' }])
  t.equal(on.check, check)
  t.equal(on.sendContinue, 'after-checks')

  const off = derivePolicy({ method: 'POST', url: '/x', expect: false }, PARSERS, 1, { ...OPTIONS, sendContinue: 'after-checks' })
  t.equal(off.enabled, false)
  t.equal(off.contentTypes, undefined)
  t.equal(off.check, undefined)
  t.equal(off.sendContinue, 'after-checks', 'plugin default when the route is off')
  t.equal(off.notFound, false)

  const empty = derivePolicy({ method: 'POST', url: '/x', expect: {} }, PARSERS, 1, OPTIONS)
  t.equal(empty.enabled, true)
  t.equal(empty.contentTypes, undefined)
  t.equal(empty.check, undefined)
  t.equal(empty.sendContinue, 'on-read')

  t.equal(
    thrown(t, () => derivePolicy({ method: 'POST', url: '/x', expect: { contentTypes: ['nope'] } }, PARSERS, 1, OPTIONS), 'bad config'),
    'config.expect of POST /x: /contentTypes/0 "nope" is not a media type or range such as "image/png" or "image/*"'
  )
  t.equal(thrown(t, () => derivePolicy({ method: 'POST', url: '/x', expect: true }, PARSERS, 1, OPTIONS), 'true'),
    'config.expect of POST /x: Expected union value')
})

t.test('derivePolicy: schema.body.content keys become schemaContentTypes', async (t) => {
  const cases: Array<[string, { body?: unknown } | null | undefined, unknown]> = [
    ['no schema', undefined, undefined],
    ['null schema', null, undefined],
    ['no body', {}, undefined],
    ['null body', { body: null }, undefined],
    ['body not an object', { body: 'string' }, undefined],
    ['plain body schema', { body: { type: 'object', properties: {} } }, undefined],
    ['content null', { body: { content: null } }, undefined],
    ['content not an object', { body: { content: 'application/json' } }, undefined],
    ['one type', { body: { content: { 'application/json': { schema: {} } } } }, [{ type: 'application', subtype: 'json' }]],
    ['several, case and parameters', { body: { content: { 'Application/JSON': {}, 'text/plain; charset=utf-8': {}, 'image/*': {} } } },
      [{ type: 'application', subtype: 'json' }, { type: 'text', subtype: 'plain' }, { type: 'image', subtype: '*' }]],
    ['* means any', { body: { content: { '*': {} } } }, [{ type: '*', subtype: '*' }]],
    ['*/* means any', { body: { content: { '*/*': {} } } }, [{ type: '*', subtype: '*' }]],
    ['invalid keys are dropped', { body: { content: { nope: {}, 'image/png': {} } } }, [{ type: 'image', subtype: 'png' }]],
    ['empty content', { body: { content: {} } }, []]
  ]
  for (const [name, schema, expected] of cases) {
    t.same(derivePolicy({ method: 'POST', url: '/x', schema }, PARSERS, 1, OPTIONS).schemaContentTypes, expected, name)
  }
})

t.test('notFoundPolicy', async (t) => {
  const policy = notFoundPolicy(PARSERS, 77, { ...OPTIONS, sendContinue: 'after-checks' })
  t.same(policy, {
    route: '* (not found)',
    enabled: true,
    notFound: true,
    bodyLimit: undefined,
    serverBodyLimit: 77,
    contentTypes: undefined,
    schemaContentTypes: undefined,
    parsers: PARSERS,
    bodylessMethods: new Set(['GET', 'HEAD', 'TRACE']),
    check: undefined,
    sendContinue: 'after-checks'
  })
})
