// HTTP/2 early answers under a client that keeps sending: the server does not
// read what comes after its answer, so the client gets at most about one
// flow-control window in (as with plain Fastify), then RST_STREAM(NO_ERROR).
// A bodyless stream the client left open (HEAD) is reset the same way. curl
// 7.88's side: test/interop/plugin-h2-curl.test.ts.
import t from 'tap'
import http2 from 'node:http2'
import { countBytesRead, listen, MiB, until } from '../../helpers/server'

/** One window (64 KiB) plus headers and frames, with room to spare; reading and dropping lets megabytes in. */
const WINDOW_BOUND = 256 * 1024

const routes = (app: import('fastify').FastifyInstance): void => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
  })
  app.put('/small', { bodyLimit: 64 * 1024 }, async () => 'never')
  app.get('/ping', async () => 'pong')
}

/** Sends `total` bytes as fast as the stream's window allows, until the server resets it. */
function pushUntilReset (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, total: number): Promise<{ status: number, rstCode: number | undefined }> {
  return new Promise((resolve) => {
    const req = session.request(headers)
    let status = 0
    let sent = 0
    const chunk = Buffer.alloc(16 * 1024)
    const pump = (): void => {
      while (sent < total && !req.destroyed && !req.closed) {
        sent += chunk.length
        if (!req.write(chunk)) { req.once('drain', pump); return }
      }
    }
    req.on('response', (h) => { status = Number(h[':status']) })
    req.on('error', () => {})
    req.resume()
    req.on('close', () => resolve({ status, rstCode: req.rstCode }))
    pump()
  })
}

t.test('a client that does not wait gets about one window in after a refusal', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as object })
  const count = countBytesRead(server.app.server)
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => { session.destroy() })
  for (const [status, extra] of [[401, { 'x-token': 'bad' }], [415, { 'content-type': 'text/csv' }]] as const) {
    const before = count.bytesRead()
    const r = await pushUntilReset(session, { ':method': 'PUT', ':path': '/small', 'content-type': 'application/json', 'content-length': 20 * MiB, expect: '100-continue', ...extra }, 20 * MiB)
    const read = count.bytesRead() - before
    t.equal(r.status, status)
    t.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, `${status}: reset without error`)
    t.ok(read <= WINDOW_BOUND, `${status}: the server read ${read} bytes of the 20 MiB`)
  }
  const ping = session.request({ ':path': '/ping' })
  ping.setEncoding('utf8')
  let body = ''
  ping.on('data', (chunk: string) => { body += chunk })
  await new Promise((resolve) => ping.on('end', resolve))
  t.equal(body, 'pong', 'the session serves on')
})

t.test('a HEAD stream with Expect left open by its client is reset after the answer', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as object })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => { session.destroy() })
  const req = session.request({ ':method': 'HEAD', ':path': '/ping', expect: '100-continue' }, { endStream: false })
  let status = 0
  req.on('response', (h) => { status = Number(h[':status']) })
  req.on('error', () => {})
  req.resume()
  let closed = false
  req.on('close', () => { closed = true })
  await until(t, 'the stream closed by the server', () => closed)
  t.equal(status, 200)
  t.equal(req.rstCode, http2.constants.NGHTTP2_NO_ERROR, 'reset by the server')
})

// curl 7.88 with 20 MiB uploads, every refusal read: test/interop/plugin-h2-curl.test.ts.
