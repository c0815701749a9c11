// Unit tests for the pure decision function: request head + route policy -> decision.
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { errorCodes } from 'fastify'
import { bodyFraming, decide, parseContentLength, type Decision, type RejectReason, type RequestHead } from '../plugin/decide'
import { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_INVALID_FRAMING } from '../plugin/errors'
import { LINGER_DEFAULTS, type ResolvedOptions } from '../plugin/options'
import {
  derivePolicy,
  notFoundPolicy,
  type ContentTypeParser,
  type ParserRegistry,
  type RouteDeclaration,
  type RoutePolicy
} from '../plugin/route-policy'

const OPTIONS: ResolvedOptions = { sendContinue: 'on-read', rejectionLogLevel: 'info', ...LINGER_DEFAULTS }
const SERVER_LIMIT = 1000

const parser = (bodyLimit?: number): ContentTypeParser => ({ bodyLimit })

/**
 * A stand-in for Fastify's parser registry: parsers keyed by lower-cased
 * essence, with '' as the catch-all (where Fastify keeps `addContentTypeParser('*')`).
 * Records what it was asked.
 */
function registry (parsers: Record<string, ContentTypeParser>): ParserRegistry & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    getParser (contentType: string): ContentTypeParser | undefined {
      calls.push(contentType)
      const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase()
      return parsers[essence] ?? parsers['']
    }
  }
}

const DEFAULT_PARSERS = (): Record<string, ContentTypeParser> => ({
  'application/json': { bodyLimit: undefined },
  'text/plain': { bodyLimit: undefined },
  'image/png': parser(),
  'image/jpeg': parser(),
  'application/octet-stream': parser()
})

interface PolicyOptions {
  expect?: unknown
  bodyLimit?: number | null
  schema?: { body?: unknown } | null
  parsers?: Record<string, ContentTypeParser>
  serverBodyLimit?: number
  notFound?: boolean
  method?: string | string[]
  url?: string
}

function policy (o: PolicyOptions = {}): RoutePolicy {
  const reg = registry(o.parsers ?? DEFAULT_PARSERS())
  const serverLimit = o.serverBodyLimit ?? SERVER_LIMIT
  if (o.notFound === true) return notFoundPolicy(reg, serverLimit, OPTIONS)
  const route: RouteDeclaration = {
    method: o.method ?? 'POST',
    url: o.url ?? '/upload',
    bodyLimit: o.bodyLimit,
    schema: o.schema,
    expect: o.expect
  }
  return derivePolicy(route, reg, serverLimit, OPTIONS)
}

// Node types content-length as a string; the parser also copes with arrays, so the tests cast.
const http11 = (headers: Record<string, string | string[] | undefined>): RequestHead =>
  ({ httpVersionMajor: 1, httpVersionMinor: 1, headers: headers as IncomingHttpHeaders })
const http10 = (headers: Record<string, string | string[] | undefined>): RequestHead =>
  ({ httpVersionMajor: 1, httpVersionMinor: 0, headers: headers as IncomingHttpHeaders })
const http2 = (headers: Record<string, string | string[] | undefined>, endStream?: boolean): RequestHead =>
  ({ httpVersionMajor: 2, httpVersionMinor: 0, headers: headers as IncomingHttpHeaders, endStream })

const EXPECT = { expect: '100-continue' }

interface FastifyLikeError extends Error { statusCode?: number, code?: string }

const REJECTIONS: Record<RejectReason, { status: number, code: string, ctor: new (...args: never[]) => Error }> = {
  expectation: { status: 417, code: 'FST_ERR_EXPECTATION_FAILED', ctor: FST_ERR_EXPECTATION_FAILED },
  framing: { status: 400, code: 'FST_ERR_EXPECT_INVALID_FRAMING', ctor: FST_ERR_EXPECT_INVALID_FRAMING },
  'media-type': { status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', ctor: errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE },
  'body-limit': { status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', ctor: errorCodes.FST_ERR_CTP_BODY_TOO_LARGE }
}

/** Asserts a rejection with exactly this reason, status, code and class; returns the error. */
function assertReject (t: tap.Test, decision: Decision, reason: RejectReason, name: string): FastifyLikeError | undefined {
  t.equal(decision.action, 'reject', `${name}: action`)
  if (decision.action !== 'reject') return undefined
  const expected = REJECTIONS[reason]
  const error = decision.error as FastifyLikeError
  t.equal(decision.reason, reason, `${name}: reason`)
  t.ok(error instanceof Error, `${name}: an Error`)
  t.ok(error instanceof expected.ctor, `${name}: instance of ${expected.code}`)
  t.equal(error.statusCode, expected.status, `${name}: statusCode`)
  t.equal(error.code, expected.code, `${name}: code`)
  t.same(Object.keys(decision).sort(), ['action', 'error', 'reason'], `${name}: shape`)
  return error
}

t.test('HTTP/1.0: expectations are ignored, whatever else the head says', async (t) => {
  const cases: Array<[string, Record<string, string | undefined>]> = [
    ['100-continue with a body', { ...EXPECT, 'content-length': '10', 'content-type': 'image/png' }],
    ['unsupported expectation', { expect: 'foo' }],
    ['malformed expectation', { expect: 'a b' }],
    ['bad Content-Length', { ...EXPECT, 'content-length': 'abc' }],
    ['too large', { ...EXPECT, 'content-length': '99999999', 'content-type': 'image/png' }],
    ['no Expect', {}]
  ]
  for (const [name, headers] of cases) {
    t.same(decide(http10(headers), policy()), { action: 'ignore', why: 'http/1.0' }, name)
    t.same(decide(http10(headers), policy({ notFound: true })), { action: 'ignore', why: 'http/1.0' }, `${name} (not found)`)
  }
})

t.test('no expectation: ignored, even with broken framing', async (t) => {
  const cases: Array<[string, RequestHead]> = [
    ['no Expect', http11({ 'content-length': '10', 'content-type': 'image/png' })],
    ['empty Expect', http11({ expect: '', 'content-length': '10' })],
    ['Expect of commas', http11({ expect: ', ,', 'content-length': '10' })],
    ['Expect as empty list of lines', http11({ expect: [] })],
    ['no Expect, bad Content-Length', http11({ 'content-length': 'abc' })],
    ['no Expect, CL and TE', http11({ 'content-length': '5', 'transfer-encoding': 'chunked' })],
    ['HTTP/2 without Expect', http2({ 'content-length': '5' }, false)],
    ['HTTP/1.1 major 1 minor 1 is not 1.0', http11({})]
  ]
  for (const [name, head] of cases) {
    t.same(decide(head, policy()), { action: 'ignore', why: 'no-expectation' }, name)
  }
})

t.test('unsupported or malformed expectations: 417 before anything else', async (t) => {
  const cases: Array<[string, string | string[], string]> = [
    ['unknown token', 'foo', 'Expectation Failed: unsupported expectation "foo"'],
    ['100-continue plus another', '100-continue, foo', 'Expectation Failed: unsupported expectation "foo"'],
    ['two others', 'Foo, bar=1', 'Expectation Failed: unsupported expectation "foo", "bar=1"'],
    ['with a value', '100-continue=1', 'Expectation Failed: unsupported expectation "100-continue=1"'],
    ['quoted value', 'x="a,b"', 'Expectation Failed: unsupported expectation "x=\\"a,b\\""'],
    ['lines', ['100-continue', 'foo'], 'Expectation Failed: unsupported expectation "foo"'],
    ['space', 'a b', 'Expectation Failed: malformed Expect field (unexpected character at offset 2)'],
    ['non-ASCII', '100-cont\u00efnue', 'Expectation Failed: malformed Expect field (unexpected character at offset 8)'],
    ['quoted token', '"100-continue"', 'Expectation Failed: malformed Expect field (expected a token at offset 0)'],
    ['parameters without a value', '100-continue;a=b', 'Expectation Failed: malformed Expect field (unexpected character at offset 12)'],
    ['unterminated quote', 'x="a', 'Expectation Failed: malformed Expect field (expected a token or quoted string after "=" at offset 4)']
  ]
  const policies: Array<[string, RoutePolicy]> = [
    ['default', policy()],
    ['not found', policy({ notFound: true })],
    ['disabled', policy({ expect: false })],
    ['restricted', policy({ expect: { contentTypes: ['image/png'] }, bodyLimit: 1 })]
  ]
  for (const [name, expect, message] of cases) {
    for (const [policyName, p] of policies) {
      // Bad framing and a bad media type too: the expectation is judged first.
      const head = http11({ expect, 'content-length': 'abc', 'content-type': '???' })
      const error = assertReject(t, decide(head, p), 'expectation', `${name} / ${policyName}`)
      t.equal(error?.message, message, `${name} / ${policyName}: message`)
    }
    t.equal(decide(http2({ expect }, false), policy()).action, 'reject', `${name} over HTTP/2`)
  }
})

t.test('invalid framing: 400', async (t) => {
  const cases: Array<[string, Record<string, string | string[]>, string]> = [
    ['letters', { 'content-length': 'abc' }, 'Invalid request framing: Content-Length "abc" is not a number'],
    ['negative', { 'content-length': '-1' }, 'Invalid request framing: Content-Length "-1" is not a number'],
    ['fraction', { 'content-length': '1.5' }, 'Invalid request framing: Content-Length "1.5" is not a number'],
    ['empty', { 'content-length': '' }, 'Invalid request framing: Content-Length "" is not a number'],
    ['blank', { 'content-length': ' ' }, 'Invalid request framing: Content-Length " " is not a number'],
    ['plus sign', { 'content-length': '+5' }, 'Invalid request framing: Content-Length "+5" is not a number'],
    ['hex', { 'content-length': '0x10' }, 'Invalid request framing: Content-Length "0x10" is not a number'],
    ['exponent', { 'content-length': '1e3' }, 'Invalid request framing: Content-Length "1e3" is not a number'],
    ['inner space', { 'content-length': '1 0' }, 'Invalid request framing: Content-Length "1 0" is not a number'],
    ['non-ASCII digit', { 'content-length': '\u0665' }, 'Invalid request framing: Content-Length "\u0665" is not a number'],
    ['trailing comma', { 'content-length': '5,' }, 'Invalid request framing: Content-Length "5," is not a number'],
    ['empty element', { 'content-length': '5,,5' }, 'Invalid request framing: Content-Length "5,,5" is not a number'],
    ['conflicting list', { 'content-length': '5, 6' }, 'Invalid request framing: conflicting Content-Length values "5, 6"'],
    ['conflicting lines', { 'content-length': ['5', '6'] }, 'Invalid request framing: conflicting Content-Length values ["5","6"]'],
    ['conflict beyond 2^53', { 'content-length': '9007199254740993, 9007199254740992' }, 'Invalid request framing: conflicting Content-Length values "9007199254740993, 9007199254740992"'],
    ['CL and TE', { 'content-length': '5', 'transfer-encoding': 'chunked' }, 'Invalid request framing: both Content-Length and Transfer-Encoding'],
    ['CL 0 and TE', { 'content-length': '0', 'transfer-encoding': 'chunked' }, 'Invalid request framing: both Content-Length and Transfer-Encoding'],
    ['bad CL and TE: the number is reported', { 'content-length': 'x', 'transfer-encoding': 'chunked' }, 'Invalid request framing: Content-Length "x" is not a number']
  ]
  const policies: Array<[string, RoutePolicy]> = [
    ['default', policy()],
    ['not found', policy({ notFound: true })],
    ['disabled', policy({ expect: false })]
  ]
  for (const [name, headers, message] of cases) {
    for (const [policyName, p] of policies) {
      const error = assertReject(t, decide(http11({ ...EXPECT, 'content-type': 'image/png', ...headers }), p), 'framing', `${name} / ${policyName}`)
      t.equal(error?.message, message, `${name} / ${policyName}: message`)
    }
    t.equal(decide(http2({ ...EXPECT, ...headers }, false), policy()).action, 'reject', `${name} over HTTP/2`)
    t.equal(decide(http2({ ...EXPECT, ...headers }, true), policy()).action, 'reject', `${name} over HTTP/2, stream ended`)
  }
})

t.test('identical Content-Length duplicates count as one', async (t) => {
  const cases: Array<[string | string[], number]> = [
    ['5, 5', 5],
    ['5,5', 5],
    [' 5 ,\t5 ', 5],
    [['5', '5'], 5],
    [['5, 5', '5'], 5],
    ['05, 5', 5],
    ['007', 7],
    ['10', 10]
  ]
  for (const [value, length] of cases) {
    t.same(decide(http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': value }), policy()),
      { action: 'continue', declaredLength: length }, JSON.stringify(value))
  }
})

t.test('no body framed: no-body, before any route rule', async (t) => {
  const heads: Array<[string, RequestHead]> = [
    ['no CL, no TE', http11({ ...EXPECT })],
    ['CL 0', http11({ ...EXPECT, 'content-length': '0' })],
    ['CL 00', http11({ ...EXPECT, 'content-length': '00' })],
    ['CL 0, 0', http11({ ...EXPECT, 'content-length': '0, 0' })],
    ['garbage content type, no body', http11({ ...EXPECT, 'content-type': '???' })],
    ['HTTP/2, stream ended', http2({ ...EXPECT }, true)],
    ['HTTP/2, stream ended despite a Content-Length', http2({ ...EXPECT, 'content-length': '5000' }, true)],
    ['HTTP/2 without endStream information, no CL', http2({ ...EXPECT })],
    ['HTTP/2 without endStream information, CL 0', http2({ ...EXPECT, 'content-length': '0' })]
  ]
  const policies: Array<[string, RoutePolicy]> = [
    ['default', policy()],
    ['not found', policy({ notFound: true })],
    ['disabled', policy({ expect: false })],
    ['strict', policy({ expect: { contentTypes: ['image/png'] }, bodyLimit: 1, parsers: {} })]
  ]
  for (const [name, head] of heads) {
    for (const [policyName, p] of policies) {
      t.same(decide(head, p), { action: 'no-body' }, `${name} / ${policyName}`)
    }
  }
})

t.test('HTTP/2 framing', async (t) => {
  t.same(decide(http2({ ...EXPECT, 'content-type': 'image/png' }, false), policy()),
    { action: 'continue', declaredLength: undefined }, 'open stream, no content-length')
  t.same(decide(http2({ ...EXPECT, 'content-type': 'image/png', 'content-length': '10' }, false), policy()),
    { action: 'continue', declaredLength: 10 }, 'open stream with content-length')
  t.same(decide(http2({ ...EXPECT, 'content-type': 'image/png', 'content-length': '0' }, false), policy()),
    { action: 'continue', declaredLength: 0 }, 'open stream, content-length 0: the stream says a body may follow')
  t.same(decide(http2({ ...EXPECT, 'content-type': 'image/png', 'content-length': '10' }), policy()),
    { action: 'continue', declaredLength: 10 }, 'no endStream information: Content-Length decides')
  assertReject(t, decide(http2({ ...EXPECT, 'content-type': 'image/png', 'content-length': '1001' }, false), policy()), 'body-limit', 'open stream, too large')
  assertReject(t, decide(http2({ ...EXPECT, 'content-type': 'text/html' }, false), policy()), 'media-type', 'open stream, no parser')
  t.same(decide(http2({ ...EXPECT }, false), policy({ notFound: true })), { action: 'not-found' })
  t.same(decide(http2({ ...EXPECT }, false), policy({ expect: false })), { action: 'continue-now' })
  // endStream is only looked at for HTTP/2.
  t.same(decide({ ...http11({ ...EXPECT }), endStream: false }, policy()), { action: 'no-body' }, 'HTTP/1.1 ignores endStream')
  t.equal(decide({ ...http11({ ...EXPECT, 'content-length': '5', 'content-type': 'image/png' }), endStream: true }, policy()).action,
    'continue', 'HTTP/1.1 ignores endStream: true')
})

t.test('no route: not-found; route turned off: continue-now (no content checks)', async (t) => {
  const heads: Array<[string, RequestHead]> = [
    ['ordinary', http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': '10' })],
    ['garbage content type', http11({ ...EXPECT, 'content-type': '???', 'content-length': '10' })],
    ['no content type', http11({ ...EXPECT, 'content-length': '10' })],
    ['huge', http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': '99999999999999999999' })],
    ['chunked', http11({ ...EXPECT, 'transfer-encoding': 'chunked' })]
  ]
  for (const [name, head] of heads) {
    t.same(decide(head, policy({ notFound: true, parsers: {} })), { action: 'not-found' }, `${name} / not found`)
    t.same(decide(head, policy({ expect: false, parsers: {}, bodyLimit: 1 })), { action: 'continue-now' }, `${name} / disabled`)
  }
})

t.test('media type: 415 before the body', async (t) => {
  const catchAll = { ...DEFAULT_PARSERS(), '': parser() }
  const cases: Array<[string, PolicyOptions, string | undefined, 'continue' | 'reject']> = [
    // The Content-Type value itself.
    ['garbage content type', {}, 'nonsense', 'reject'],
    ['garbage content type, catch-all parser', { parsers: catchAll }, 'nonsense', 'reject'],
    ['empty content type, catch-all parser', { parsers: catchAll }, '', 'reject'],
    ['list of content types', { parsers: catchAll }, 'image/png, image/jpeg', 'reject'],
    ['content type with a space', { parsers: catchAll }, 'image /png', 'reject'],
    // Parsers.
    ['a parser for the type', {}, 'image/png', 'continue'],
    ['a parser, parameters and case ignored', {}, 'Application/JSON; charset=utf-8', 'continue'],
    ['no parser for the type', {}, 'application/xml', 'reject'],
    ['no parser, catch-all parser', { parsers: catchAll }, 'application/xml', 'continue'],
    ['no Content-Type, no catch-all parser', {}, undefined, 'reject'],
    ['no Content-Type, catch-all parser', { parsers: catchAll }, undefined, 'continue'],
    ['no parsers at all', { parsers: {} }, 'image/png', 'reject'],
    // config.expect.contentTypes.
    ['contentTypes image/*: png', { expect: { contentTypes: ['image/*'] } }, 'image/png', 'continue'],
    ['contentTypes image/*: PNG with parameters', { expect: { contentTypes: ['image/*'] } }, 'IMAGE/PNG; x=y', 'continue'],
    ['contentTypes image/*: json', { expect: { contentTypes: ['image/*'] } }, 'application/json', 'reject'],
    ['contentTypes image/*: no Content-Type, catch-all parser', { expect: { contentTypes: ['image/*'] }, parsers: catchAll }, undefined, 'reject'],
    ['contentTypes */*: json', { expect: { contentTypes: ['*/*'] } }, 'application/json', 'continue'],
    ['contentTypes */*: no Content-Type, catch-all parser', { expect: { contentTypes: ['*/*'] }, parsers: catchAll }, undefined, 'reject'],
    ['contentTypes */*: garbage', { expect: { contentTypes: ['*/*'] }, parsers: catchAll }, 'garbage', 'reject'],
    ['contentTypes exact: match', { expect: { contentTypes: ['image/jpeg', 'image/png'] } }, 'image/png', 'continue'],
    ['contentTypes exact: other subtype', { expect: { contentTypes: ['image/jpeg'] } }, 'image/png', 'reject'],
    ['contentTypes allow it, but no parser', { expect: { contentTypes: ['application/*'] } }, 'application/xml', 'reject'],
    ['contentTypes allow it, catch-all parser', { expect: { contentTypes: ['application/*'] }, parsers: catchAll }, 'application/xml', 'continue'],
    ['contentTypes with parameters in config', { expect: { contentTypes: ['image/png; q=1'] } }, 'image/png', 'continue'],
    // schema.body.content.
    ['schema json: json', { schema: { body: { content: { 'application/json': { schema: {} } } } } }, 'application/json', 'continue'],
    ['schema json: JSON with charset', { schema: { body: { content: { 'application/json': { schema: {} } } } } }, 'Application/Json; charset=utf-8', 'continue'],
    ['schema json: text/plain (has a parser)', { schema: { body: { content: { 'application/json': { schema: {} } } } } }, 'text/plain', 'reject'],
    ['schema json: no Content-Type, catch-all', { schema: { body: { content: { 'application/json': { schema: {} } } } }, parsers: catchAll }, undefined, 'reject'],
    ['schema with *: any type', { schema: { body: { content: { '*': { schema: {} } } } } }, 'image/png', 'continue'],
    ['schema with */*: any type', { schema: { body: { content: { '*/*': { schema: {} } } } } }, 'text/plain', 'continue'],
    ['schema with image/*: png', { schema: { body: { content: { 'image/*': { schema: {} } } } } }, 'image/png', 'continue'],
    ['schema with image/*: json', { schema: { body: { content: { 'image/*': { schema: {} } } } } }, 'application/json', 'reject'],
    ['schema json, no parser for json', { schema: { body: { content: { 'application/json': { schema: {} } } } }, parsers: { 'image/png': parser() } }, 'application/json', 'reject'],
    ['plain body schema: no media restriction', { schema: { body: { type: 'object' } } }, 'image/png', 'continue'],
    // Both: each must allow the type.
    ['config and schema both allow', { expect: { contentTypes: ['image/*'] }, schema: { body: { content: { 'image/png': {} } } } }, 'image/png', 'continue'],
    ['config allows, schema does not', { expect: { contentTypes: ['image/*'] }, schema: { body: { content: { 'image/png': {} } } } }, 'image/jpeg', 'reject'],
    ['schema allows, config does not', { expect: { contentTypes: ['image/jpeg'] }, schema: { body: { content: { 'image/png': {}, 'image/jpeg': {} } } } }, 'image/png', 'reject']
  ]
  for (const [name, o, contentType, action] of cases) {
    const head = http11({ ...EXPECT, 'content-length': '10', 'content-type': contentType })
    const decision = decide(head, policy(o))
    if (action === 'continue') {
      t.same(decision, { action: 'continue', declaredLength: 10 }, name)
    } else {
      const error = assertReject(t, decision, 'media-type', name)
      t.match(error?.message, /Unsupported Media Type/, `${name}: Fastify's message`)
    }
  }
})

t.test('the parser registry is asked with the raw Content-Type, or "" when there is none', async (t) => {
  const reg = registry({ 'image/png': parser(), '': parser() })
  const p = derivePolicy({ method: 'POST', url: '/x' }, reg, SERVER_LIMIT, OPTIONS)
  decide(http11({ ...EXPECT, 'content-length': '1', 'content-type': 'Image/PNG; a=b' }), p)
  decide(http11({ ...EXPECT, 'content-length': '1' }), p)
  t.same(reg.calls, ['Image/PNG; a=b', ''])
  // Not consulted when the decision is made earlier.
  decide(http11({ ...EXPECT, 'content-length': '1', 'content-type': '??' }), p)
  decide(http11({ ...EXPECT }), p)
  decide(http11({ expect: 'foo', 'content-length': '1' }), p)
  t.same(reg.calls, ['Image/PNG; a=b', ''])
})

t.test('body size: route limit, else parser limit, else server limit; only Content-Length > limit fails', async (t) => {
  const parsers = {
    'image/png': parser(),
    'image/jpeg': parser(50),
    'application/json': { bodyLimit: 50 },
    '': parser(20)
  }
  // [name, route bodyLimit, content-type, content-length, expected]
  const cases: Array<[string, number | null | undefined, string | undefined, string, 'continue' | 'reject']> = [
    ['server limit: below', undefined, 'image/png', '999', 'continue'],
    ['server limit: equal', undefined, 'image/png', '1000', 'continue'],
    ['server limit: one over', undefined, 'image/png', '1001', 'reject'],
    ['route bodyLimit null means none', null, 'image/png', '1001', 'reject'],
    ['parser limit wins over server: equal', undefined, 'image/jpeg', '50', 'continue'],
    ['parser limit wins over server: one over', undefined, 'image/jpeg', '51', 'reject'],
    ['parser limit (string parser): one over', undefined, 'application/json', '51', 'reject'],
    ['catch-all parser limit for no Content-Type: equal', undefined, undefined, '20', 'continue'],
    ['catch-all parser limit for no Content-Type: one over', undefined, undefined, '21', 'reject'],
    ['catch-all parser limit for an unknown type', undefined, 'application/xml', '21', 'reject'],
    ['route limit wins over a smaller parser limit', 200, 'image/jpeg', '150', 'continue'],
    ['route limit wins over a smaller parser limit: equal', 200, 'image/jpeg', '200', 'continue'],
    ['route limit wins over a smaller parser limit: over', 200, 'image/jpeg', '201', 'reject'],
    ['route limit wins over a larger parser limit', 20, 'image/jpeg', '21', 'reject'],
    ['route limit wins over the server limit', 5000, 'image/png', '4000', 'continue'],
    ['route limit below the server limit', 10, 'image/png', '11', 'reject'],
    ['route limit, equal', 10, 'image/png', '10', 'continue'],
    ['huge Content-Length', undefined, 'image/png', '99999999999999999999', 'reject'],
    ['huge Content-Length, huge route limit', Number.MAX_SAFE_INTEGER, 'image/png', '99999999999999999999', 'reject'],
    ['1000 digits', undefined, 'image/png', '9'.repeat(1000), 'reject'],
    ['leading zeros', 10, 'image/png', '0000000000000000000010', 'continue'],
    ['identical duplicates over the limit', 10, 'image/png', '11, 11', 'reject']
  ]
  for (const [name, bodyLimit, contentType, contentLength, action] of cases) {
    const head = http11({ ...EXPECT, 'content-type': contentType, 'content-length': contentLength })
    const decision = decide(head, policy({ bodyLimit, parsers }))
    if (action === 'continue') {
      t.same(decision, { action: 'continue', declaredLength: Number(contentLength) }, name)
    } else {
      const error = assertReject(t, decision, 'body-limit', name)
      t.match(error?.message, /Request body is too large/, `${name}: Fastify's message`)
    }
  }
})

t.test('the media type is checked before the size (as Fastify does)', async (t) => {
  const head = http11({ ...EXPECT, 'content-type': 'application/xml', 'content-length': '99999999' })
  assertReject(t, decide(head, policy()), 'media-type', 'unknown type and too large')
  const restricted = http11({ ...EXPECT, 'content-type': 'image/jpeg', 'content-length': '99999999' })
  assertReject(t, decide(restricted, policy({ expect: { contentTypes: ['image/png'] } })), 'media-type', 'disallowed type and too large')
})

t.test('chunked bodies: no declared length, no size check', async (t) => {
  const cases: Array<[string, Record<string, string>, PolicyOptions]> = [
    ['chunked', { 'transfer-encoding': 'chunked' }, {}],
    ['chunked, tiny route limit', { 'transfer-encoding': 'chunked' }, { bodyLimit: 1 }],
    ['chunked, tiny server limit', { 'transfer-encoding': 'chunked' }, { serverBodyLimit: 1 }],
    ['gzip, chunked', { 'transfer-encoding': 'gzip, chunked' }, { bodyLimit: 1 }],
    ['empty Transfer-Encoding still frames a body', { 'transfer-encoding': '' }, { bodyLimit: 1 }]
  ]
  for (const [name, headers, o] of cases) {
    t.same(decide(http11({ ...EXPECT, 'content-type': 'image/png', ...headers }), policy(o)),
      { action: 'continue', declaredLength: undefined }, name)
  }
  assertReject(t, decide(http11({ ...EXPECT, 'content-type': 'text/html', 'transfer-encoding': 'chunked' }), policy()),
    'media-type', 'chunked still gets the media type check')
})

t.test('accepted requests: continue with the declared length', async (t) => {
  t.same(decide(http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': '1' }), policy()), { action: 'continue', declaredLength: 1 })
  t.same(decide(http11({ expect: '100-Continue, 100-continue', 'content-type': 'image/png', 'content-length': '1' }), policy()), { action: 'continue', declaredLength: 1 })
  t.same(decide(http11({ expect: ['100-continue', '100-continue'], 'content-type': 'image/png', 'content-length': '1' }), policy()), { action: 'continue', declaredLength: 1 })
  // A route check and sendContinue do not change the pure decision.
  const withCheck = policy({ expect: { check: () => undefined, sendContinue: 'after-checks' } })
  t.same(decide(http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': '1' }), withCheck), { action: 'continue', declaredLength: 1 })
  // HTTP/1.x minor versions other than 0 are not HTTP/1.0.
  t.same(decide({ httpVersionMajor: 1, httpVersionMinor: 2, headers: { ...EXPECT, 'content-type': 'image/png', 'content-length': '1' } }, policy()),
    { action: 'continue', declaredLength: 1 })
})

t.test('each rejection gets a fresh error', async (t) => {
  const head = http11({ ...EXPECT, 'content-type': 'image/png', 'content-length': '5000' })
  const a = decide(head, policy())
  const b = decide(head, policy())
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
