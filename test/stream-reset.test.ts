// HTTP/2 streams answered before their body ended: the bound on what they still
// read, checked on a stand-in stream so that it does not race the reset delay
// (http2-reset.test.ts covers the same over real sessions).
import t from 'tap'
import { EventEmitter } from 'node:events'
import { constants, type ServerHttp2Stream } from 'node:http2'
import { resetAfterEarlyAnswer } from '../plugin/stream-reset'

function standIn (state: { readableEnded?: boolean, destroyed?: boolean } = {}) {
  const calls: string[] = []
  const stream = Object.assign(new EventEmitter(), {
    readableEnded: state.readableEnded ?? false,
    destroyed: state.destroyed ?? false,
    close (code: number) { calls.push(`close ${code}`) },
    destroy () {
      calls.push('destroy')
      stream.destroyed = true
      stream.emit('close')
    }
  })
  return { stream, calls, typed: stream as unknown as ServerHttp2Stream }
}

t.test('past lingerBytes the stream is reset at once, with NO_ERROR', async (t) => {
  const { stream, calls, typed } = standIn()
  resetAfterEarlyAnswer(typed, { lingerBytes: 1000 })
  stream.emit('finish')
  stream.emit('data', Buffer.alloc(600))
  stream.emit('data', Buffer.alloc(400))
  t.same(calls, [], 'up to the bound: still reading')
  stream.emit('data', Buffer.alloc(1))
  t.same(calls, [`close ${constants.NGHTTP2_NO_ERROR}`, 'destroy'], 'one byte more: reset, without waiting for the delay')
})

t.test('a stream whose body has ended, or that is gone, is left alone', async (t) => {
  for (const state of [{ readableEnded: true }, { destroyed: true }]) {
    const { stream, calls, typed } = standIn(state)
    resetAfterEarlyAnswer(typed, { lingerBytes: 0 })
    stream.emit('finish')
    stream.emit('data', Buffer.alloc(10))
    t.same(calls, [], JSON.stringify(state))
    t.equal(stream.listenerCount('data'), 0, 'nothing reads it')
  }
})
