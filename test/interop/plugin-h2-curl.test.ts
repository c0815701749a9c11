// The plugin's HTTP/2 early answers (test/plugin/connection/http2-reset and http2-flow) as curl 7.88
// sees them, on cleartext HTTP/2 (h2c, prior knowledge), with 20 MiB uploads: here, in the interop
// suite, beside the other tests that drive curl, because 60 runs of curl with 20 MiB each do not fit
// `npm test`'s minute. The Node http2 client's side of the same behaviour stays in those files.
//
// curl 7.88 now and then reports an early answer as error 52 (empty reply), with or without the
// plugin (a client bug: RFC 9113 §8.1 says clients MUST NOT discard a response for a reset stream).
// Those losses are counted and shown; every other answer must be the right one, with no other error:
// error 92 would mean the reset came before curl read the answer, which the delay before the reset
// prevents.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { countBytesRead, listen, MiB } from '../helpers/server'
import { runCurl, type CurlResult } from '../helpers/curl'
import { tempDir } from '../helpers/interop'
import { requireTool } from '../helpers/tools'

/** One window (64 KiB) plus headers and frames, with room to spare; reading and dropping lets megabytes in. */
const WINDOW_BOUND = 256 * 1024

const routes = (app: import('fastify').FastifyInstance): void => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
  })
  app.put('/small', { bodyLimit: 64 * 1024 }, async () => 'never')
}

/** curl's own empty reply (error 52): the one loss the client is known for. */
const emptyReply = (r: CurlResult): boolean => r.status === 0 && r.error === '52'

const upload = (file: string, url: string, extra: readonly string[]): Promise<CurlResult> =>
  runCurl(['--http2-prior-knowledge', '-X', 'PUT', '-H', 'Expect: 100-continue', ...extra, '--data-binary', `@${file}`, url])

t.test('curl over HTTP/2 with Expect: every answer curl read is the right one; only its own error 52, never a reset before it read (92)', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await listen(t, routes, { server: { http2: true } as object })
  const file = join(tempDir(t), 'body.bin')
  writeFileSync(file, Buffer.alloc(20 * MiB, 0x61))
  const url = `http://127.0.0.1:${server.port}/small`
  const outcomes: string[] = []
  const wrong: string[] = []
  let lost = 0
  for (let i = 0; i < 10; i++) {
    // curl sends its first window of body without waiting for the 100 on HTTP/2.
    for (const [expected, extra] of [['413', ['-H', 'content-type: application/json']], ['401', ['-H', 'content-type: application/json', '-H', 'x-token: bad']]] as const) {
      const r = await upload(file, url, extra)
      const outcome = `${r.status}${r.error === undefined ? '' : ` error ${r.error}`}`
      outcomes.push(outcome)
      if (emptyReply(r)) lost++
      else if (outcome !== expected) wrong.push(`expected ${expected}, curl reported ${outcome}`)
    }
  }
  t.comment(`${outcomes.join(' ')}: ${lost} of ${outcomes.length} lost to curl's error 52`)
  t.same(wrong, [], 'every answer curl read is the right one, and no error other than 52 (no 92)')
})

t.test('curl over h2c: every refusal read except curl\'s own empty replies (error 52), and about one window received per upload', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await listen(t, routes, { server: { http2: true } as object })
  const count = countBytesRead(server.app.server)
  const file = join(tempDir(t), 'body.bin')
  writeFileSync(file, Buffer.alloc(20 * MiB, 0x61))
  const url = `http://127.0.0.1:${server.port}/small`
  const N = 20
  let readRefusals = 0
  let lost = 0
  let maxRead = 0
  const errors: string[] = []
  for (let i = 0; i < N; i++) {
    for (const [status, extra] of [[401, ['-H', 'x-token: bad', '-H', 'content-type: application/json']], [415, ['-H', 'content-type: text/csv']]] as const) {
      const before = count.bytesRead()
      const r = await upload(file, url, extra)
      if (r.status === status && r.error === undefined) readRefusals++
      else if (emptyReply(r)) lost++
      else errors.push(`expected ${status}, curl reported ${r.status} error ${r.error ?? '-'}`)
      maxRead = Math.max(maxRead, count.bytesRead() - before)
    }
  }
  t.comment(`curl read ${readRefusals} of ${2 * N} refusals, ${lost} lost to its error 52; the server read at most ${maxRead} bytes of an upload`)
  t.same(errors, [], 'no other outcome: no error 92 (a reset before curl took the answer in), no wrong status')
  t.equal(readRefusals + lost, 2 * N, `curl read every refusal but its own error 52: ${readRefusals} read, ${lost} lost`)
  t.ok(maxRead <= WINDOW_BOUND, `at most about one window received: ${maxRead}`)
})
