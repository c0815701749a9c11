// The framing rule on its own: which Transfer-Encoding fields are refused.
import t from 'tap'
import { framingFault } from '../../../plugin/decision/framing'

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
