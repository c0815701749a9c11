// The header rules of the gateway helpers, as pure functions.
import t from 'tap'
import * as gateway from '../../gateway/index'
import { endToEndHeaders, expectsContinue, upstreamRequestHeaders } from '../../gateway/index'

t.test('the public surface of fastify-expect/gateway', async (t) => {
  t.same(Object.keys(gateway).sort(), [
    'DEFAULT_CONTINUE_TIMEOUT', 'DEFAULT_UPSTREAM_TIMEOUT',
    'FST_ERR_EXPECT_GATEWAY_FRAMING', 'FST_ERR_EXPECT_GATEWAY_TARGET', 'FST_ERR_EXPECT_GATEWAY_TIMEOUT', 'FST_ERR_EXPECT_GATEWAY_UPSTREAM',
    'callUpstream', 'endToEndHeaders', 'expectContinueHandler', 'expectsContinue', 'forwardExpectation', 'forwardFraming',
    'framedHeaders', 'planForward', 'upstreamRequestHeaders', 'upstreamTarget'
  ])
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_FRAMING('x').statusCode, 400)
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_TARGET('x').statusCode, 400)
  t.equal(gateway.DEFAULT_CONTINUE_TIMEOUT, 1000, 'curl\'s wait for a 100')
  t.equal(gateway.DEFAULT_UPSTREAM_TIMEOUT, 30_000)
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_UPSTREAM('x').statusCode, 502)
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_TIMEOUT(5).statusCode, 504)
  t.equal(typeof gateway.callUpstream, 'function')
})

t.test('hop-by-hop fields, fields named in Connection, Proxy-* fields and pseudo-headers stay behind', async (t) => {
  t.same(endToEndHeaders({
    connection: 'keep-alive, X-Private',
    'x-private': '1',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    te: 'trailers',
    upgrade: 'h2c',
    ':path': '/x',
    'proxy-authorization': 'Basic c2VjcmV0',
    'proxy-connection': 'keep-alive',
    'proxy-anything': 'x',
    'content-type': 'a/b',
    'x-kept': 'yes',
    'set-cookie': ['a=1', 'b=2']
  }), { 'content-type': 'a/b', 'x-kept': 'yes', 'set-cookie': ['a=1', 'b=2'] })
  t.same(upstreamRequestHeaders({ host: 'gateway', expect: '100-continue', 'content-length': '5' }, 'upstream:1'),
    { host: 'upstream:1', 'content-length': '5' }, 'the gateway sets host, and expect itself')
})

t.test('100-continue as the plugin reads Expect (expect-field.ts)', async (t) => {
  t.equal(expectsContinue({}), false)
  t.equal(expectsContinue({ expect: '100-Continue' }), true)
  t.equal(expectsContinue({ expect: '100-continue, 100-continue' }), true)
  t.equal(expectsContinue({ expect: 'foo, 100-continue' }), false, 'another expectation: the plugin answers 417, nothing to forward')
  t.equal(expectsContinue({ expect: '100-continue;x=1' }), false)
  t.equal(expectsContinue({ expect: 'foo' }), false)
})
