// A body's fate as a table: a head's Content-Type and length, and a route's model,
// in; who answers and which limit holds the body, out. Pure: no server. The fates
// of a body that may be read are the model's own, the same object for every request.
import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { buildModel } from '../../../plugin/body/model'
import { fateOf, FASTIFY_415 } from '../../../plugin/body/fate'
import type { RegisteredParser } from '../../../plugin/internals/fastify'
import type { RoutePolicy } from '../../../plugin/rules/route-rules'
import { parseMediaRanges } from '../../../plugin/decision/media-type'

const SERVER_LIMIT = 1000
const parsers: Record<string, RegisteredParser> = {
  'application/json': { buffered: true, bodyLimit: SERVER_LIMIT },
  'application/x-stream': { buffered: false, bodyLimit: SERVER_LIMIT },
  'application/x-own': { buffered: false, bodyLimit: 50 }
}
const registry = { get: (type: string) => parsers[type], all: () => Object.values(parsers) }
const policy = (rules: Partial<RoutePolicy>): RoutePolicy => ({ contentTypes: undefined, schemaContentTypes: undefined, bodyLimit: undefined, headers: false, check: undefined, sendContinue: 'on-read', ...rules })
const headers = (contentType?: string, length?: number): IncomingHttpHeaders =>
  ({ ...(contentType === undefined ? {} : { 'content-type': contentType }), ...(length === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(length) }) })

type Expected = 'media-type' | 'body-limit' | 'fastify-415' | ['read', number | undefined]
const limited = buildModel(policy({ bodyLimit: 100, contentTypes: parseMediaRanges(['application/json', 'application/x-stream', 'text/csv']) }), registry, SERVER_LIMIT)
const open = buildModel(policy({ check: () => {} }), registry, SERVER_LIMIT)
const table: Array<[string, ReturnType<typeof buildModel>, string | undefined, number | undefined, Expected]> = [
  ['a declared type, within the route\'s limit', limited, 'application/json', 100, ['read', undefined]],
  ['a declared type over the route\'s limit: 413 from the head', limited, 'application/json', 101, 'body-limit'],
  ['a type the route does not declare: 415 before 413', limited, 'image/png', 5000, 'media-type'],
  ['no Content-Type where types are declared', limited, undefined, 10, 'media-type'],
  ['a declared type no parser takes: Fastify\'s 415', limited, 'text/csv', 10, 'fastify-415'],
  ['chunked to a buffered parser: Fastify holds it', limited, 'application/json', undefined, ['read', undefined]],
  ['chunked to a streaming parser: held to the route\'s limit', limited, 'application/x-stream', undefined, ['read', 100]],
  ['chunked to a streaming parser with its own limit, no route limit', open, 'application/x-own', undefined, ['read', 50]],
  ['declared over a streaming parser\'s own limit', open, 'application/x-own', 51, 'body-limit'],
  ['a buffered parser at the server\'s limit', open, 'application/json', SERVER_LIMIT + 1, 'body-limit'],
  ['a streaming parser without a limit of its own: none', open, 'application/x-stream', undefined, ['read', undefined]]
]

t.test('fateOf', async (t) => {
  for (const [name, model, contentType, length, expected] of table) {
    const fate = fateOf(headers(contentType, length), length, model)
    if (typeof expected === 'string') {
      t.equal(fate.action === 'reject' ? fate.reason : fate.action, expected, name)
    } else {
      t.same(fate.action === 'read' ? ['read', fate.limit] : fate.action, expected, name)
      t.equal(fateOf(headers(contentType, length), length, model), fate, `${name}: the model's own fate, no allocation`)
    }
  }
  t.equal(fateOf(headers('text/csv', 10), 10, limited), FASTIFY_415)
})

t.test('a body with no Content-Type, Content-Length or Transfer-Encoding (HTTP/2 DATA alone): read, held to the route\'s limit', async (t) => {
  const fate = fateOf({}, undefined, buildModel(policy({ bodyLimit: 100 }), registry, SERVER_LIMIT))
  t.same(fate, { action: 'read', parser: { kind: 'none', limit: 100 }, limit: 100 })
})

t.test('the model\'s meeting: the route\'s media types, the parser, and the fallback and idle models', async (t) => {
  t.same(limited.meet('application/json').parser, { kind: 'buffered', limit: 100 }, 'a buffered parser, held to the route\'s limit')
  t.same(limited.meet('application/x-stream').parser, { kind: 'streaming', limit: 100 })
  t.same(limited.meet('text/csv').parser, { kind: 'none', limit: undefined }, 'declared, but no parser takes it')
  t.equal(limited.meet('image/png').accepts, false, 'not among the declared types')
  t.equal(limited.meet(undefined).accepts, false, 'no Content-Type where types are declared')
  t.equal(limited.meet('application/json'), limited.meet('application/json'), 'computed once per value')
  const fallback = buildModel(policy({ bodyLimit: 7 }), undefined, SERVER_LIMIT)
  t.same(fallback.meet('anything').parser, { kind: 'unknown', limit: 7 }, 'without Fastify\'s registry: a parser exists, the route\'s limit applies')
  const buffered = { get: () => parsers['application/json'], all: () => [parsers['application/json'] as RegisteredParser] }
  const idle = buildModel(undefined, buffered, SERVER_LIMIT)
  t.equal(idle.acts, false, 'no rules and no streaming parser with its own limit: the shared idle model')
  t.same(idle.meet('text/csv'), { accepts: true, parser: { kind: 'unknown', limit: undefined }, read: { action: 'read', parser: { kind: 'unknown', limit: undefined }, limit: undefined }, streamed: { action: 'read', parser: { kind: 'unknown', limit: undefined }, limit: undefined } })
})
