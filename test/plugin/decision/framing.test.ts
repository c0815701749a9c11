// The framing rule on its own: which Transfer-Encoding fields are refused.
import t from 'tap'
import { bodyFraming, framingFault, headOf, parseContentLength } from '../../../plugin/decision/framing'

t.test('acceptable framings', async (t) => {
  t.equal(framingFault({}, '1.1'), undefined, 'no Transfer-Encoding')
  t.equal(framingFault({ 'content-length': '5' }, '1.1'), undefined, 'Content-Length only')
  t.equal(framingFault({ 'transfer-encoding': 'chunked' }, '1.1'), undefined)
  t.equal(framingFault({ 'transfer-encoding': 'Chunked' }, '1.1'), undefined, 'case-insensitive')
  t.equal(framingFault({ 'transfer-encoding': 'gzip, chunked' }, '1.1'), undefined, 'chunked last')
  t.equal(framingFault({ 'transfer-encoding': 'gzip ,  chunked ' }, '1.1'), undefined, 'optional whitespace')
  t.equal(framingFault({ 'transfer-encoding': 'gzip,,chunked' }, '1.1'), undefined, 'empty list elements')
})

t.test('forbidden framings', async (t) => {
  t.equal(framingFault({ 'transfer-encoding': 'gzip' }, '1.1'), 'transfer-coding')
  t.equal(framingFault({ 'transfer-encoding': 'gzip', 'content-length': '3' }, '1.1'), 'transfer-coding', 'with Content-Length too')
  t.equal(framingFault({ 'transfer-encoding': 'chunked, gzip' }, '1.1'), 'transfer-coding', 'chunked not last')
  t.equal(framingFault({ 'transfer-encoding': 'identity' }, '1.1'), 'transfer-coding')
  t.equal(framingFault({ 'transfer-encoding': '' }, '1.1'), 'transfer-coding', 'empty field')
  t.equal(framingFault({ 'transfer-encoding': ' , ' }, '1.1'), 'transfer-coding', 'only empty elements')
  t.equal(framingFault({ 'transfer-encoding': 'chunked;x=1' }, '1.1'), 'transfer-coding', 'parameters: not what the parser frames as chunked')
  t.equal(framingFault({ 'transfer-encoding': 'chunked, chunked' }, '1.1'), 'chunked-twice')
  t.equal(framingFault({ 'transfer-encoding': 'chunked' }, '1.0'), 'transfer-encoding-http10')
})

t.test('headOf: the request line and headers of a raw request, HTTP/2 END_STREAM included', async (t) => {
  const headers = { 'content-length': '3' }
  t.same(headOf({ method: 'PUT', httpVersionMajor: 1, httpVersionMinor: 1, headers }),
    { method: 'PUT', httpVersionMajor: 1, httpVersionMinor: 1, headers, endStream: undefined })
  const h2 = headOf({ method: 'GET', httpVersionMajor: 2, httpVersionMinor: 0, headers: {}, stream: { endAfterHeaders: true } as never })
  t.equal(h2.endStream, true, 'the HEADERS frame ended the stream')
  t.same(bodyFraming(h2), { hasBody: false, length: undefined }, 'so there is no body')
})

t.test('parseContentLength: the usual digits and the general list', async (t) => {
  t.equal(parseContentLength('0'), 0)
  t.equal(parseContentLength('123456789012345'), 123456789012345, '15 digits, the fast path')
  t.equal(parseContentLength('1234567890123456'), 1234567890123456, '16 digits, the general path')
  t.equal(parseContentLength('5, 5'), 5, 'a list of identical values')
  t.equal(parseContentLength(['5', '5']), 5, 'repeated field lines')
  t.match(parseContentLength('5, 6'), /conflicting/)
  t.match(parseContentLength(''), /is not a number/)
  t.match(parseContentLength('-1'), /is not a number/)
  t.match(parseContentLength('1e3'), /is not a number/)
})
