// The decision as two tables, in the manner of Go's serverExpectTests: a
// request head (and a route's rules) in, the decision out. Pure: no server.
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { errorCodes } from 'fastify'
import { checkRules, decide, type BodyRules } from '../../../plugin/decision/decide'
import { bodyFraming, bodyLength, parseContentLength, type RequestHead } from '../../../plugin/decision/framing'
import { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_INVALID_FRAMING } from '../../../plugin/decision/errors'
import { parseMediaRanges } from '../../../plugin/decision/media-type'

type Headers = Record<string, string | string[] | undefined>
// Node types content-length as a string; the parser also copes with arrays, so the tests cast.
const http11 = (headers: Headers): RequestHead => ({ httpVersionMajor: 1, httpVersionMinor: 1, headers: headers as IncomingHttpHeaders })
const http10 = (headers: Headers): RequestHead => ({ httpVersionMajor: 1, httpVersionMinor: 0, headers: headers as IncomingHttpHeaders })
const http2 = (headers: Headers, endStream?: boolean): RequestHead =>
  ({ httpVersionMajor: 2, httpVersionMinor: 0, headers: headers as IncomingHttpHeaders, endStream })

const E = '100-continue'
type Expected = 'ignore' | 'no-body' | 'wait' | [number, string, RegExp?]

// At the server, before routing.
const serverTable: Array<[string, RequestHead, Expected]> = [
  ['no Expect', http11({ 'content-length': '5' }), 'ignore'],
  ['no Expect, broken framing: not ours to judge', http11({ 'content-length': 'x' }), 'ignore'],
  ['HTTP/1.0 MUST ignore 100-continue', http10({ expect: E, 'content-length': '5' }), 'ignore'],
  ['HTTP/1.0 ignores any expectation', http10({ expect: 'foo' }), 'ignore'],
  ['an empty list expects nothing', http11({ expect: ' , ', 'content-length': '5' }), 'ignore'],
  ['100-continue with a body', http11({ expect: E, 'content-length': '5' }), 'wait'],
  ['case-insensitive', http11({ expect: '100-Continue', 'content-length': '5' }), 'wait'],
  ['repeated 100-continue', http11({ expect: `${E}, ${E}`, 'content-length': '5' }), 'wait'],
  ['chunked', http11({ expect: E, 'transfer-encoding': 'chunked' }), 'wait'],
  ['Content-Length: 0', http11({ expect: E, 'content-length': '0' }), 'no-body'],
  ['no framing at all', http11({ expect: E }), 'no-body'],
  ['unknown expectation', http11({ expect: 'foo' }), [417, 'expectation', /unsupported expectation "foo"/]],
  ['100-continue plus another', http11({ expect: `${E}, foo`, 'content-length': '5' }), [417, 'expectation', /"foo"/]],
  ['100-continue with a value', http11({ expect: '100-continue=1' }), [417, 'expectation', /"100-continue=1"/]],
  ['malformed field', http11({ expect: '100-continue;;"' }), [417, 'expectation', /malformed/]],
  ['expectation checked before framing', http11({ expect: 'foo', 'content-length': 'x' }), [417, 'expectation']],
  ['bad Content-Length', http11({ expect: E, 'content-length': 'x' }), [400, 'framing', /not a number/]],
  ['conflicting Content-Length', http11({ expect: E, 'content-length': '1, 2' }), [400, 'framing', /conflicting/]],
  ['Content-Length and Transfer-Encoding', http11({ expect: E, 'content-length': '5', 'transfer-encoding': 'chunked' }), [400, 'framing', /both/]],
  ['HTTP/2 stream ended with the headers', http2({ expect: E, 'content-length': '5' }, true), 'no-body'],
  ['HTTP/2 stream open, no length', http2({ expect: E }, false), 'wait'],
  ['HTTP/2 unknown expectation', http2({ expect: 'foo' }, false), [417, 'expectation']]
]

t.test('decide: the server table', async (t) => {
  for (const [name, head, expected] of serverTable) {
    const d = decide(head)
    if (typeof expected === 'string') {
      t.equal(d.action, expected, name)
      continue
    }
    const [status, reason, message] = expected
    if (d.action !== 'reject') {
      t.fail(`${name}: expected a rejection, got ${d.action}`)
      continue
    }
    t.equal(d.error.statusCode, status, `${name}: status`)
    t.equal(d.reason, reason, `${name}: reason`)
    t.ok(d.error instanceof (status === 417 ? FST_ERR_EXPECTATION_FAILED : FST_ERR_EXPECT_INVALID_FRAMING), `${name}: error class`)
    if (message !== undefined) t.match(d.error.message, message, `${name}: message`)
  }
})

t.test('decide: the declared length travels with the decision', async (t) => {
  t.same(decide(http11({ expect: E, 'content-length': '5' })), { action: 'wait', declaredLength: 5, framing: { hasBody: true, length: 5 } })
  t.same(decide(http11({ expect: E, 'transfer-encoding': 'chunked' })), { action: 'wait', declaredLength: undefined, framing: { hasBody: true, length: undefined } })
  t.same(decide(http11({ expect: E, 'content-length': '0' })), { action: 'no-body', declaredLength: 0, framing: { hasBody: false, length: 0 } })
})

const rules = (o: { contentTypes?: string[], schema?: string[], bodyLimit?: number }): BodyRules => ({
  contentTypes: o.contentTypes === undefined ? undefined : parseMediaRanges(o.contentTypes),
  schemaContentTypes: o.schema === undefined ? undefined : parseMediaRanges(o.schema),
  bodyLimit: o.bodyLimit
})

// At a route with rules, for a request that frames a body (with or without Expect).
const routeTable: Array<[string, BodyRules, Headers, number | undefined, 'pass' | 413 | 415]> = [
  ['no rules that apply', rules({}), { 'content-type': 'text/plain' }, 10, 'pass'],
  ['declared type', rules({ contentTypes: ['image/png'] }), { 'content-type': 'image/png' }, 10, 'pass'],
  ['range', rules({ contentTypes: ['image/*'] }), { 'content-type': 'IMAGE/PNG; x=1' }, 10, 'pass'],
  ['*/*', rules({ contentTypes: ['*/*'] }), { 'content-type': 'a/b' }, 10, 'pass'],
  ['other type', rules({ contentTypes: ['image/*'] }), { 'content-type': 'text/plain' }, 10, 415],
  ['no Content-Type', rules({ contentTypes: ['image/*'] }), {}, 10, 415],
  ['unparsable Content-Type', rules({ contentTypes: ['*/*'] }), { 'content-type': 'nonsense' }, 10, 415],
  ['schema.body.content', rules({ schema: ['application/json'] }), { 'content-type': 'application/json; charset=utf-8' }, 10, 'pass'],
  ['outside schema.body.content', rules({ schema: ['application/json'] }), { 'content-type': 'text/plain' }, 10, 415],
  ['both lists must admit it', rules({ contentTypes: ['text/*'], schema: ['application/json'] }), { 'content-type': 'text/plain' }, 10, 415],
  ['at the limit', rules({ bodyLimit: 10 }), {}, 10, 'pass'],
  ['over the limit', rules({ bodyLimit: 10 }), {}, 11, 413],
  ['length unknown (chunked): cut while streaming instead', rules({ bodyLimit: 10 }), {}, undefined, 'pass'],
  ['415 before 413, as Fastify', rules({ contentTypes: ['image/*'], bodyLimit: 10 }), { 'content-type': 'text/plain' }, 11, 415]
]

t.test('checkRules: the route table', async (t) => {
  for (const [name, r, headers, length, expected] of routeTable) {
    const d = checkRules(http11(headers), r, length)
    if (expected === 'pass') {
      t.equal(d.action, 'pass', name)
      continue
    }
    t.equal(d.action === 'reject' ? d.error.statusCode : d.action, expected, name)
    if (d.action === 'reject') {
      t.ok(d.error instanceof (expected === 413 ? errorCodes.FST_ERR_CTP_BODY_TOO_LARGE : errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE), `${name}: Fastify's own error`)
      t.equal(d.reason, expected === 413 ? 'body-limit' : 'media-type', `${name}: reason`)
    }
  }
})

t.test('each rejection gets a fresh error', async (t) => {
  const a = checkRules(http11({}), rules({ bodyLimit: 1 }), 2)
  const b = checkRules(http11({}), rules({ bodyLimit: 1 }), 2)
  t.ok(a.action === 'reject' && b.action === 'reject' && a.error !== b.error)
})

t.test('parseContentLength', async (t) => {
  const cases: Array<[string | string[] | undefined, number | undefined | RegExp]> = [
    [undefined, undefined],
    ['0', 0],
    ['42', 42],
    ['42, 42', 42],
    [['42', '42'], 42],
    ['  42  ', 42],
    ['9007199254740993', 9007199254740992],
    ['007', 7],
    ['999999999999999', 999999999999999],
    ['1000000000000000', 1000000000000000],
    ['4096/', /is not a number/],
    ['-1', /is not a number/],
    ['+5', /is not a number/],
    ['1e3', /is not a number/],
    ['0x10', /is not a number/],
    ['', /is not a number/],
    [[], /is not a number/],
    ['4 2', /is not a number/],
    ['42, 43', /^conflicting Content-Length values/],
    [['42', '43'], /^conflicting Content-Length values/]
  ]
  for (const [value, expected] of cases) {
    const result = parseContentLength(value)
    if (expected instanceof RegExp) {
      t.type(result, 'string', JSON.stringify(value))
      t.match(result, expected, JSON.stringify(value))
    } else {
      t.equal(result, expected, JSON.stringify(value))
    }
  }
})

t.test('bodyFraming', async (t) => {
  t.same(bodyFraming(http11({})), { hasBody: false, length: undefined })
  t.same(bodyFraming(http11({ 'content-length': '0' })), { hasBody: false, length: 0 })
  t.same(bodyFraming(http11({ 'content-length': '3' })), { hasBody: true, length: 3 })
  t.same(bodyFraming(http11({ 'transfer-encoding': 'chunked' })), { hasBody: true, length: undefined })
  t.equal(bodyFraming(http11({ 'transfer-encoding': 'chunked', 'content-length': '3' })), 'both Content-Length and Transfer-Encoding')
  t.same(bodyFraming(http2({}, false)), { hasBody: true, length: undefined })
  t.same(bodyFraming(http2({ 'content-length': '3' }, true)), { hasBody: false, length: 3 })
  t.same(bodyFraming(http2({ 'content-length': '3' })), { hasBody: true, length: 3 })
  t.same(bodyFraming(http2({})), { hasBody: false, length: undefined })
  t.equal(bodyFraming(http11({ 'content-length': 'x' })), 'Content-Length "x" is not a number')
})

t.test('bodyLength agrees with bodyFraming on every head: its length, or null for no body or a framing not to trust', async (t) => {
  const heads: RequestHead[] = [
    http11({}), http11({ 'content-length': '0' }), http11({ 'content-length': '3' }), http11({ 'content-length': '3, 3' }),
    http11({ 'content-length': 'x' }), http11({ 'content-length': ['3', '4'] }), http11({ 'transfer-encoding': 'chunked' }),
    http11({ 'transfer-encoding': 'chunked', 'content-length': '3' }), http11({ 'transfer-encoding': 'gzip' }),
    http10({ 'content-length': '3' }), http10({ 'transfer-encoding': 'chunked' }),
    http2({}, false), http2({ 'content-length': '3' }, true), http2({ 'content-length': '3' }), http2({}), http2({ 'content-length': '0' }, false)
  ]
  for (const head of heads) {
    const framing = bodyFraming(head)
    const expected = typeof framing === 'string' || !framing.hasBody ? null : framing.length
    t.equal(bodyLength(head), expected, `HTTP/${head.httpVersionMajor}.${head.httpVersionMinor} ${JSON.stringify(head.headers)}${head.endStream === undefined ? '' : ` endStream ${String(head.endStream)}`}`)
  }
  t.equal(bodyLength(http11({ 'content-length': '4096' })), 4096)
  t.equal(bodyLength(http11({ 'transfer-encoding': 'chunked' })), undefined, 'chunked: a body of unknown length')
  t.equal(bodyLength(http11({ 'content-length': '0' })), null)
})
