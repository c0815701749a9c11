// The checks every gateway form runs before anything goes upstream, as pure
// functions: the target (target.ts), the framing (framing.ts), the plan (plan.ts).
import t from 'tap'
import { framedHeaders, forwardFraming, planForward, upstreamTarget } from '../../gateway/index'

const head = (headers: Record<string, string>, method = 'GET', minor = 1) => ({ method, httpVersionMajor: 1, httpVersionMinor: minor, headers })

t.test('targets refused: 400, whatever the trick', async (t) => {
  const refused: Array<[string, RegExp]> = [
    ['http://127.0.0.1:23111/files/x', /absolute/],
    ['127.0.0.1:23111', /absolute/],
    ['*', /absolute/],
    ['', /absolute/],
    ['//127.0.0.1:23111/x', /\/\//],
    ['/\\127.0.0.1:23111/x', /character/],
    ['/upload/..%2f..%2fecho-headers', /encoded slash/],
    ['/upload/..%2F', /encoded slash/],
    ['/upload/a%5c..%5cb', /encoded slash/],
    ['/upload/%2e%2e', /dot-segment/],
    ['/upload/.%2E', /dot-segment/],
    ['/raw/%2e%2e/%2e%2e/echo-headers', /dot-segment/],
    ['/upload/../admin', /dot-segment/],
    ['/upload/./x', /dot-segment/],
    ['/upload/..', /dot-segment/],
    ['/upload/%zz', /percent/],
    ['/upload/%00', /control/],
    ['/upload/a b', /character/],
    ['/upload/a#b', /character/],
    ['/upload/\u010d', /character/],
    ['/upload/<x>', /rewrite/]
  ]
  for (const [target, why] of refused) {
    t.throws(() => upstreamTarget('http://10.0.0.1:3000', target), { statusCode: 400, code: 'FST_ERR_EXPECT_GATEWAY_TARGET', message: why }, JSON.stringify(target))
  }
  for (const target of ['/v1x/a', '/v2/a', '/a', '/']) {
    t.throws(() => upstreamTarget('http://10.0.0.1:3000/v1/', target), { statusCode: 400, message: /base path/ }, `${target} outside /v1/`)
  }
  t.throws(() => upstreamTarget('http://10.0.0.1:3000/v1', '/v1x'), { message: /base path/ })
})

t.test('targets kept as written: the path sent is the path checked', async (t) => {
  const kept: Array<[string, string, string]> = [
    ['http://10.0.0.1:3000', '/upload/a.bin', 'http://10.0.0.1:3000/upload/a.bin'],
    ['http://10.0.0.1:3000', '/upload/a.b..c/...', 'http://10.0.0.1:3000/upload/a.b..c/...'],
    ['http://10.0.0.1:3000', '/upload/%2e.x', 'http://10.0.0.1:3000/upload/%2e.x'],
    ['http://10.0.0.1:3000', '/upload/a%20b?q=1&r=../x', 'http://10.0.0.1:3000/upload/a%20b?q=1&r=../x'],
    ['http://10.0.0.1:3000/v1/', '/v1/a', 'http://10.0.0.1:3000/v1/a'],
    ['http://10.0.0.1:3000/v1', '/v1', 'http://10.0.0.1:3000/v1'],
    ['http://10.0.0.1:3000/v1/', '/v1', 'http://10.0.0.1:3000/v1']
  ]
  for (const [base, target, href] of kept) {
    t.equal(upstreamTarget(base, target).href, href, target)
  }
  t.equal(upstreamTarget('http://10.0.0.1:3000', '/upload//x').pathname, '/upload//x', 'an empty segment inside the path climbs nowhere')
})

t.test('framing: stated from the plugin\'s reading, refused when it cannot be kept', async (t) => {
  t.same(forwardFraming(head({ 'content-length': '59' })), { hasBody: true, length: 59 }, 'a GET body too')
  t.same(forwardFraming(head({ 'transfer-encoding': 'chunked' }, 'DELETE')), { hasBody: true, length: undefined })
  t.same(forwardFraming(head({})), { hasBody: false, length: undefined })
  t.same(forwardFraming(head({ 'content-length': '0' })), { hasBody: false, length: 0 })
  t.same(forwardFraming(head({ 'content-length': '5, 5' })), { hasBody: true, length: 5 }, 'a list of one value, as Node and the plugin read it')
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ connection: 'keep-alive, content-length', 'content-length': '59' }, /Connection names content-length/],
    [{ connection: 'Transfer-Encoding', 'transfer-encoding': 'chunked' }, /Connection names transfer-encoding/],
    [{ connection: 'content-length' }, /Connection names content-length/],
    [{ 'content-length': '5', 'transfer-encoding': 'chunked' }, /both/],
    [{ 'content-length': '5, 6' }, /conflicting/],
    [{ 'content-length': '-1' }, /not a number/],
    [{ 'transfer-encoding': 'gzip, chunked' }, /other than chunked/],
    [{ 'transfer-encoding': 'chunked, chunked' }, /chunked/],
    [{ 'transfer-encoding': 'gzip' }, /Transfer-Encoding/]
  ]
  for (const [headers, why] of refused) {
    t.throws(() => forwardFraming(head(headers, 'PUT')), { statusCode: 400, code: 'FST_ERR_EXPECT_GATEWAY_FRAMING', message: why }, JSON.stringify(headers))
  }
  t.throws(() => forwardFraming(head({ 'transfer-encoding': 'chunked' }, 'PUT', 0)), { statusCode: 400, message: /http10/ }, 'chunked in HTTP/1.0')
  t.same(forwardFraming({ ...head({ 'content-length': '3' }), httpVersionMajor: 2, httpVersionMinor: 0, stream: { endAfterHeaders: true } }), { hasBody: false, length: 3 }, 'HTTP/2: the stream ended with the headers')
})

t.test('framedHeaders replaces whatever framing fields came with the body\'s own', async (t) => {
  t.same(framedHeaders({ 'Content-Length': '1', 'TRANSFER-ENCODING': 'gzip', a: 'b' }, { hasBody: true, length: 7 }), { a: 'b', 'content-length': '7' })
  t.same(framedHeaders({ 'content-length': '1' }, { hasBody: true, length: undefined }), { 'transfer-encoding': 'chunked' })
  t.same(framedHeaders({ 'content-length': '1' }, { hasBody: false, length: undefined }), {})
  t.same(framedHeaders({}, { hasBody: false, length: 0 }), { 'content-length': '0' })
})

t.test('planForward: target, framing, fields and expectation at once', async (t) => {
  const plan = planForward({ ...head({ host: 'gw', expect: '100-continue', 'content-length': '5', 'proxy-authorization': 'x', connection: 'close, authorization', authorization: 'Bearer ok' }, 'PUT'), url: '/files/a?x=1' }, 'http://10.0.0.1:3000')
  t.equal(plan.url.href, 'http://10.0.0.1:3000/files/a?x=1')
  t.same(plan.headers, { host: '10.0.0.1:3000', 'content-length': '5' }, 'no expect (callUpstream sets it), no Proxy-*, Connection-named fields removed')
  t.same(plan.framing, { hasBody: true, length: 5 })
  t.equal(plan.expectContinue, true)
  t.equal(planForward({ ...head({ expect: '100-continue' }, 'PUT', 0), url: '/' }, 'http://10.0.0.1:3000').expectContinue, false, 'HTTP/1.0: ignored')
  t.equal(planForward({ ...head({}), url: '/x' }, 'http://10.0.0.1:3000', '/y').url.pathname, '/y', 'the app\'s url wins, checked the same way')
  t.throws(() => planForward({ ...head({}), url: '/x' }, 'http://10.0.0.1:3000', '/upload/../../etc'), { statusCode: 400, message: /dot-segment/ })
  t.throws(() => planForward({ ...head({ connection: 'content-length', 'content-length': '3' }), url: '/x' }, 'http://10.0.0.1:3000'), { statusCode: 400, message: /Connection names/ }, 'framing checked before the target')
})
