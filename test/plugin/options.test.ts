// Unit tests for plugin options, per-route `config.expect` and what a route declares.
import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { LINGER_DEFAULTS, resolvePluginOptions, validateRouteConfig } from '../../plugin/options'
import * as source from '../../plugin/schema/source'
import { policyOf } from '../../plugin/rules/route-rules'

/** The TypeError a call throws, with its code (fails the test when it does not throw one). */
function thrown (t: tap.Test, fn: () => unknown, name: string, code = 'FST_ERR_EXPECT_INVALID_ROUTE_CONFIG'): string {
  try {
    fn()
  } catch (error) {
    t.ok(error instanceof TypeError, `${name}: a TypeError`)
    t.equal((error as { code?: string }).code, code, `${name}: ${code}`)
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
  t.same(resolvePluginOptions({ sendContinue: 'immediately' }), { sendContinue: 'immediately', rejectionLogLevel: 'info', ...LINGER_DEFAULTS })
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
  const names = 'the options are sendContinue, rejectionLogLevel, lingerTimeout, lingerBytes, maxLingeringSockets, maxConcurrentUploads, admissionTimeout, admission'
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['typo', { sendContinu: 'on-read' }, `/sendContinu is not an option (did you mean sendContinue?); ${names}`],
    ['case', { sendcontinue: 'on-read' }, `/sendcontinue is not an option (did you mean sendContinue?); ${names}`],
    ['unknown option', { timeout: 10 }, `/timeout is not an option; ${names}`],
    ['unknown next to a valid one', { sendContinue: 'on-read', foo: true }, `/foo is not an option; ${names}`],
    ['wrong enum value', { sendContinue: 'never' }, '/sendContinue must be one of "on-read", "after-checks", "immediately"'],
    ['case matters', { sendContinue: 'ON-READ' }, '/sendContinue must be one of "on-read", "after-checks", "immediately"'],
    ['wrong type', { sendContinue: true }, '/sendContinue must be one of "on-read", "after-checks", "immediately"'],
    ['null is not undefined', { sendContinue: null }, '/sendContinue must be one of "on-read", "after-checks", "immediately"'],
    ['wrong log level', { rejectionLogLevel: 'loud' }, '/rejectionLogLevel must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    ['log level as a number', { rejectionLogLevel: 30 }, '/rejectionLogLevel must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"'],
    ['a duration as a string', { lingerTimeout: '5s' }, '/lingerTimeout must be an integer'],
    ['a fraction', { lingerBytes: 1.5 }, '/lingerBytes must be an integer'],
    ['negative', { maxLingeringSockets: -1 }, '/maxLingeringSockets must be 0 or more']
  ]
  for (const [name, options, message] of cases) {
    t.equal(thrown(t, () => resolvePluginOptions(options), name, 'FST_ERR_EXPECT_INVALID_OPTION'), `fastify-expect options: ${message}`, name)
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
    ['contentTypes not an array', { contentTypes: 5 }, '/contentTypes must be an array'],
    ['contentTypes a string', { contentTypes: 'image/png' }, '/contentTypes must be an array'],
    ['contentTypes empty', { contentTypes: [] }, '/contentTypes must have at least 1 item'],
    ['contentTypes not strings', { contentTypes: [5] }, '/contentTypes/0 must be a string'],
    ['contentTypes not a media type', { contentTypes: ['nope'] }, '/contentTypes/0 "nope" is not a media type or range such as "image/png" or "image/*"'],
    ['second contentTypes entry bad', { contentTypes: ['image/png', 'image/'] }, '/contentTypes/1 "image/" is not a media type or range such as "image/png" or "image/*"'],
    ['*/subtype is not a range', { contentTypes: ['*/png'] }, '/contentTypes/0 "*/png" is not a media type or range such as "image/png" or "image/*"'],
    ['empty string', { contentTypes: [''] }, '/contentTypes/0 "" is not a media type or range such as "image/png" or "image/*"'],
    ['unknown key', { contentType: ['image/png'] }, '/contentType is not a field of config.expect (did you mean contentTypes?); its fields are contentTypes, check, sendContinue, maxConcurrentUploads'],
    ['unknown key, nothing like it', { size: 10 }, '/size is not a field of config.expect; its fields are contentTypes, check, sendContinue, maxConcurrentUploads'],
    ['check not a function', { check: 'yes' }, '/check must be a function'],
    ['check an object', { check: {} }, '/check must be a function'],
    ['bad sendContinue', { sendContinue: 'later' }, '/sendContinue must be one of "on-read", "after-checks"'],
    ['server-wide only', { sendContinue: 'immediately' }, '/sendContinue must be one of "on-read", "after-checks"'],
    ['true', true, 'must be false or an object (contentTypes, check, sendContinue, maxConcurrentUploads)'],
    ['a number', 5, 'must be false or an object (contentTypes, check, sendContinue, maxConcurrentUploads)'],
    ['a string', 'image/png', 'must be false or an object (contentTypes, check, sendContinue, maxConcurrentUploads)'],
    ['null', null, 'must be false or an object (contentTypes, check, sendContinue, maxConcurrentUploads)'],
    ['an array', ['image/png'], 'must be false or an object (contentTypes, check, sendContinue, maxConcurrentUploads)']
  ]
  for (const [name, config, detail] of cases) {
    t.equal(thrown(t, () => validateRouteConfig(config, 'PUT /files/:id'), name), prefix + detail, name)
  }
})

t.test('the TypeBox schemas agree with the validation', async (t) => {
  const { PluginOptions, RouteExpect } = source
  t.ok(Value.Check(PluginOptions, {}))
  t.notOk(Value.Check(PluginOptions, { prefix: '/x' }), 'register options are filtered out before the schema sees them')
  t.ok(Value.Check(RouteExpect, false))
  t.notOk(Value.Check(RouteExpect, true))
})

// What a route declares.

const policy = (route: Record<string, unknown>, sendContinue: 'on-read' | 'after-checks' = 'on-read'): ReturnType<typeof policyOf> =>
  policyOf(route, 'POST /x', { sendContinue })

t.test('policyOf: a route that declares nothing gets no hook', async (t) => {
  t.equal(policy({}), undefined)
  t.equal(policy({ config: {} }), undefined)
  t.equal(policy({ config: { expect: {} } }), undefined, 'an empty config.expect declares nothing')
  t.equal(policy({ schema: { body: { type: 'object' } } }), undefined, 'a body schema without content types')
  t.equal(policy({ bodyLimit: 10, schema: { headers: {} }, config: { expect: false } }), undefined, 'config.expect: false turns every rule off')
})

t.test('policyOf: each rule alone makes a policy', async (t) => {
  const check = (): void => {}
  t.same(policy({ bodyLimit: 10 }), { contentTypes: undefined, schemaContentTypes: undefined, bodyLimit: 10, headers: false, check: undefined, sendContinue: 'on-read' })
  t.equal(policy({ bodyLimit: null })?.bodyLimit, undefined, 'null is no limit')
  t.equal(policy({ schema: { headers: { type: 'object' } } })?.headers, true)
  t.equal(policy({ config: { expect: { check } } })?.check, check)
  t.same(policy({ config: { expect: { contentTypes: ['image/*', 'Application/JSON; q=1'] } } })?.contentTypes,
    [{ type: 'image', subtype: '*' }, { type: 'application', subtype: 'json' }])
  t.equal(policy({ bodyLimit: 1, config: { expect: { sendContinue: 'after-checks' } } })?.sendContinue, 'after-checks', 'the route overrides')
  t.equal(policy({ bodyLimit: 1 }, 'after-checks')?.sendContinue, 'after-checks', 'the plugin default')
})

t.test('policyOf: a bad config.expect names the route', async (t) => {
  t.equal(thrown(t, () => policyOf({ config: { expect: { nope: 1 } } as Record<string, unknown> }, 'POST,PUT /u', { sendContinue: 'on-read' }), 'name'),
    'config.expect of POST,PUT /u: /nope is not a field of config.expect; its fields are contentTypes, check, sendContinue, maxConcurrentUploads')
})

t.test('policyOf: schema.body.content keys become schemaContentTypes', async (t) => {
  const cases: Array<[string, unknown, unknown]> = [
    ['null body', { body: null }, undefined],
    ['body not an object', { body: 'string' }, undefined],
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
    t.same(policy({ schema })?.schemaContentTypes, expected, name)
  }
})
