// HTTP/2 (RFC 9113 §8.1): a stream answered before its body was read gets the
// complete response, then RST_STREAM(NO_ERROR) asking the client to stop
// sending; the session goes on serving other streams. Node's http2 client, on
// cleartext HTTP/2 (h2c, prior knowledge); curl: test/interop/plugin-h2-curl.test.ts.
import t from 'tap'
import http2 from 'node:http2'
import { listen, MiB } from '../../helpers/server'

const LIMIT = 64 * 1024

const routes = (app: import('fastify').FastifyInstance): void => {
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
  })
  app.put('/small', { bodyLimit: LIMIT }, async () => 'never')
  app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
  // Reads one chunk, stops reading, and answers: the rest of the body is never asked for.
  app.put('/first-chunk', async (request) => {
    const chunk = await new Promise<Buffer>((resolve) => request.raw.once('data', resolve))
    request.raw.pause()
    return { first: chunk.length }
  })
  app.get('/ping', async () => 'pong')
}

interface StreamOutcome {
  status: number
  continued: boolean
  body: string
  rstCode: number | undefined
  error: string | undefined
}

/** One request on `session`: with `waitForContinue`, the body is only written on 100 (Node's documented way). */
function exchange (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: Buffer | undefined, waitForContinue: boolean): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const outcome: StreamOutcome = { status: 0, continued: false, body: '', rstCode: undefined, error: undefined }
    const req = session.request(headers)
    req.on('continue', () => {
      outcome.continued = true
      req.end(body)
    })
    req.on('response', (h) => { outcome.status = Number(h[':status']) })
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { outcome.body += chunk })
    req.on('error', (err: NodeJS.ErrnoException) => { outcome.error = err.code })
    const done = (): void => {
      outcome.rstCode = req.rstCode
      resolve(outcome)
    }
    req.on('close', done)
    // Node's client never emits 'close' for a reset stream whose body it still has
    // queued: once the response has ended, the reset shows as `closed`.
    req.on('end', () => {
      const check = (): void => { if (req.closed) done(); else if (!req.destroyed) setTimeout(check, 5) }
      check()
    })
    if (!waitForContinue) req.end(body)
  })
}

const put = (path: string, length: number, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders =>
  ({ ':method': 'PUT', ':path': path, 'content-type': 'application/json', 'content-length': length, ...extra })

t.test('Node http2 client: refused expectation streams end with RST_STREAM(NO_ERROR); the session serves on', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as object })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => { session.destroy() })
  const cases = [
    // `sent`: what the server answers for the case (Fastify's error body, or the hook's own).
    { name: 'too large', headers: put('/small', 5 * MiB, { expect: '100-continue' }), status: 413, sent: { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' } },
    { name: 'unauthorized', headers: put('/small', 1000, { expect: '100-continue', 'x-token': 'bad' }), status: 401, sent: { error: 'who are you' } },
    { name: 'wrong type', headers: put('/small', 1000, { expect: '100-continue', 'content-type': 'text/csv' }), status: 415, sent: { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } }
  ]
  for (const c of cases) {
    // The client waits for a 100 that never comes: only the server can close this stream.
    const r = await exchange(session, c.headers, Buffer.alloc(Number(c.headers['content-length'])), true)
    t.equal(r.status, c.status, c.name)
    t.notOk(r.continued, `${c.name}: no 100`)
    t.match(JSON.parse(r.body), c.sent, `${c.name}: the complete response`)
    t.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, `${c.name}: closed by the server without error`)
    t.equal(r.error, undefined)
  }
  // The same session, still healthy: a GET, then an accepted upload.
  const ping = await exchange(session, { ':path': '/ping' }, undefined, false)
  t.equal(ping.status, 200)
  t.equal(ping.body, 'pong')
  const body = Buffer.from(JSON.stringify({ ok: true }))
  const accepted = await exchange(session, put('/small', body.length, { expect: '100-continue' }), body, true)
  t.ok(accepted.continued)
  t.equal(accepted.status, 200)
  t.notOk(session.destroyed || session.closed, 'the session is still open')
})

t.test('a stream answered after reading part of its body is reset too, instead of stalling', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as object })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => { session.destroy() })
  const body = Buffer.alloc(MiB / 2)
  const headers = put('/first-chunk', body.length, { expect: '100-continue', 'content-type': 'application/octet-stream' })
  const r = await exchange(session, headers, body, true)
  t.ok(r.continued, 'the body was asked for')
  t.equal(r.status, 200)
  t.ok(JSON.parse(r.body).first > 0)
  t.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, 'the client was told to stop, not left waiting for window')
  t.equal((await exchange(session, { ':path': '/ping' }, undefined, false)).body, 'pong')
})

t.test('lingerBytes bounds what an early-answered stream still reads', async (t) => {
  const server = await listen(t, routes, { server: { http2: true } as object, plugin: { lingerBytes: 1000 } })
  const session = http2.connect(`http://127.0.0.1:${server.port}`)
  t.teardown(() => { session.destroy() })
  // A client that does not wait: its first window of body is already there when the answer goes out.
  const body = Buffer.alloc(MiB)
  const r = await exchange(session, put('/small', body.length, { expect: '100-continue', 'x-token': 'bad' }), body, false)
  t.equal(r.status, 401)
  t.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR)
  t.equal((await exchange(session, { ':path': '/ping' }, undefined, false)).body, 'pong')
})

// curl over HTTP/2 (20 MiB uploads, its error 52 counted): test/interop/plugin-h2-curl.test.ts.
