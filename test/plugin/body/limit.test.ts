// holdToLimit without a server: a body of unknown length held to its limit as Node hands it
// to the request stream (its push()), whoever reads it.
import t from 'tap'
import { Readable } from 'node:stream'
import { holdToLimit } from '../../../plugin/body/limit'

/** A request stream as Node's parser feeds it: push() per chunk, nothing read yet. */
const requestStream = (): Readable => new Readable({ read () {} })

t.test('exactly the limit is taken; one byte more stops the body, once, and is never handed on', async (t) => {
  const limit = 100
  const atLimit = requestStream()
  let overAtLimit = 0
  holdToLimit(atLimit as never, atLimit, limit, () => { overAtLimit++ })
  atLimit.push(Buffer.alloc(60))
  atLimit.push(Buffer.alloc(40))
  t.equal(overAtLimit, 0, 'at the limit: not over it')
  t.equal(atLimit.readableLength, limit, 'every byte handed to the stream')

  const over = requestStream()
  let overCalls = 0
  holdToLimit(over as never, over, limit, () => { overCalls++ })
  over.push(Buffer.alloc(60))
  over.push(Buffer.alloc(41))
  over.push(Buffer.alloc(10))
  t.equal(overCalls, 1, 'one byte over: stopped, and said once')
  t.equal(over.readableLength, 60, 'the chunk that passes the limit and what follows it never reach the stream')
})
