// The header rules of the gateway helpers, as pure functions.
import t from 'tap'
import * as gateway from '../../gateway/index'
import { announcesBody, endToEndHeaders, expectsContinue, upstreamRequestHeaders } from '../../gateway/index'

t.test('the public surface of fastify-expect/gateway', async (t) => {
  t.same(Object.keys(gateway).sort(), [
    'DEFAULT_CONTINUE_TIMEOUT', 'DEFAULT_UPSTREAM_TIMEOUT', 'FST_ERR_EXPECT_GATEWAY_TIMEOUT', 'FST_ERR_EXPECT_GATEWAY_UPSTREAM',
    'announcesBody', 'callUpstream', 'endToEndHeaders', 'expectContinueHandler', 'expectsContinue', 'forwardExpectation', 'upstreamRequestHeaders'
  ])
  t.equal(gateway.DEFAULT_CONTINUE_TIMEOUT, 1000, 'curl\'s wait for a 100')
  t.equal(gateway.DEFAULT_UPSTREAM_TIMEOUT, 30_000)
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_UPSTREAM('x').statusCode, 502)
  t.equal(new gateway.FST_ERR_EXPECT_GATEWAY_TIMEOUT(5).statusCode, 504)
  t.equal(typeof gateway.callUpstream, 'function')
})

t.test('hop-by-hop fields, fields named in Connection and pseudo-headers stay behind', async (t) => {
  t.same(endToEndHeaders({
    connection: 'keep-alive, X-Private',
    'x-private': '1',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    te: 'trailers',
    upgrade: 'h2c',
    ':path': '/x',
    'content-type': 'a/b',
    'x-kept': 'yes',
    'set-cookie': ['a=1', 'b=2']
  }), { 'content-type': 'a/b', 'x-kept': 'yes', 'set-cookie': ['a=1', 'b=2'] })
  t.same(upstreamRequestHeaders({ host: 'gateway', expect: '100-continue', 'content-length': '5' }, 'upstream:1'),
    { host: 'upstream:1', 'content-length': '5' }, 'the gateway sets host, and expect itself')
})

t.test('a body is announced by chunked framing, a positive length, or an open HTTP/2 stream', async (t) => {
  t.equal(announcesBody({}), false)
  t.equal(announcesBody({ 'content-length': '0' }), false)
  t.equal(announcesBody({ 'content-length': '12' }), true)
  t.equal(announcesBody({ 'content-length': 'x' }), true, 'an unreadable length is not taken for no body')
  t.equal(announcesBody({ 'transfer-encoding': 'chunked' }), true)
  t.equal(announcesBody({}, false), true, 'HTTP/2: the stream stays open after the headers')
  t.equal(announcesBody({ 'content-length': '12' }, true), false, 'HTTP/2: the headers ended the stream')
})

t.test('100-continue is found in the list, in any case', async (t) => {
  t.equal(expectsContinue({}), false)
  t.equal(expectsContinue({ expect: '100-Continue' }), true)
  t.equal(expectsContinue({ expect: 'foo, 100-continue' }), true)
  t.equal(expectsContinue({ expect: 'foo' }), false)
})
