// Staged close (RFC 9112 §9.6): a connection answered before its request body
// was read is half-closed after the response, keeps being read (and the bytes
// thrown away) within bounds, then closed; so that every client reads its
// answer instead of a reset. Observed from real sockets on both sides.
import t, { type Test } from 'tap'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { listen, MiB, openConnections, until } from '../../helpers/server'
import { rawRequest, head } from '../../helpers/raw-client'
import { curl, runCurl } from '../../helpers/curl'
import { makeCertificate, tempDir } from '../../helpers/interop'
import { requireTool } from '../../helpers/tools'

const LIMIT = 64 * 1024
const SIZE = 20 * MiB
// Uploads per client: npm test runs 5 of each; `npm run test:fuzz` (run by .ci/run) 20 (LINGER_REPEAT).
const REPEAT = Number(process.env.LINGER_REPEAT ?? 5)

/** The routes every test here uses: a JSON route limited to 64 KiB (Fastify answers 413 from Content-Length, unread). */
const routes = (app: import('fastify').FastifyInstance): void => {
  app.put('/small', { bodyLimit: LIMIT }, async () => 'never')
  app.put('/read', async (request) => ({ got: Object.keys(request.body as object).length }))
}

/** A client socket that keeps its own side open (allowHalfOpen) and records what happens to it. */
interface Probe {
  socket: net.Socket
  /** Everything received, latin1. */
  received (): string
  /** The server's FIN arrived. */
  readonly ended: boolean
  /** The error the socket reported (ECONNRESET, EPIPE), if any. */
  readonly error: string | undefined
  readonly closed: Promise<void>
}

function probe (port: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    let data = ''
    const state = { ended: false, error: undefined as string | undefined }
    socket.on('data', (chunk: Buffer) => { data += chunk.toString('latin1') })
    socket.on('end', () => { state.ended = true })
    socket.on('error', (err: NodeJS.ErrnoException) => { state.error = err.code })
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.once('connect', () => resolve({
      socket,
      received: () => data,
      get ended () { return state.ended },
      get error () { return state.error },
      closed
    }))
  })
}

const uploadHead = (length: number, extra: Record<string, string> = {}): string =>
  head('PUT /small HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': length, ...extra })

/** Writes `bytes` zero bytes in 64 KiB chunks, respecting backpressure; resolves with what was written before an error. */
async function send (socket: net.Socket, bytes: number): Promise<number> {
  let written = 0
  const chunk = Buffer.alloc(64 * 1024)
  while (written < bytes && !socket.destroyed) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - written))
    written += piece.length
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { socket.off('drain', done); socket.off('close', done); resolve() }
        socket.once('drain', done)
        socket.once('close', done)
      })
    }
  }
  return written
}

t.test('every client reads its 413 for a 20 MiB upload without Expect: Node http, fetch, curl, raw', async (t) => {
  const server = await listen(t, routes)
  const url = `http://127.0.0.1:${server.port}/small`
  const body = Buffer.alloc(SIZE, 0x61)
  const file = join(tempDir(t), 'body.bin')
  writeFileSync(file, body)

  const nodeHttp = (): Promise<{ status?: number, error?: string }> => new Promise((resolve) => {
    const result: { status?: number, error?: string } = {}
    const req = http.request(url, { method: 'PUT', agent: false, headers: { 'content-type': 'application/json', 'content-length': SIZE } }, (res) => {
      result.status = res.statusCode
      res.resume()
    })
    // Any error, before or after the response, counts: that is the reset this test is about.
    req.on('error', (err: NodeJS.ErrnoException) => { result.error ??= err.code })
    req.on('close', () => resolve(result))
    req.end(body)
  })
  const nodeFetch = async (): Promise<{ status?: number, error?: string }> => {
    try {
      const response = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json' } })
      await response.text()
      return { status: response.status }
    } catch (error) {
      return { error: String((error as { cause?: { code?: string } }).cause?.code ?? error) }
    }
  }
  const curlPut = async (): Promise<{ status?: number, error?: string }> => {
    const r = await runCurl(['-X', 'PUT', '-H', 'Expect:', '-H', 'content-type: application/json', '--data-binary', `@${file}`, url])
    return { status: r.status, error: r.error }
  }
  const raw = async (): Promise<{ status?: number, error?: string }> => {
    const r = await rawRequest({ port: server.port, head: uploadHead(SIZE), body, sendBody: 'now', timeoutMs: 30_000, lingerMs: 200 })
    return { status: r.status, error: r.reset ? 'reset' : undefined }
  }

  const clients: Record<string, () => Promise<{ status?: number, error?: string }>> = { 'node:http': nodeHttp, fetch: nodeFetch, raw }
  if (curl !== undefined) clients.curl = curlPut
  else t.comment('curl is not installed (CI installs it: .ci/run): curl not tried')
  for (const [name, run] of Object.entries(clients)) {
    const outcomes: string[] = []
    for (let i = 0; i < REPEAT; i++) {
      const r = await run()
      outcomes.push(`${r.status}${r.error === undefined ? '' : ` ${r.error}`}`)
    }
    t.same(outcomes, Array(REPEAT).fill('413'), `${name}: ${REPEAT} of ${REPEAT} read their 413, none reset`)
  }
  t.ok(await until(t, 'every connection closed', async () => await openConnections(server) === 0))
})

/**
 * Sends a 1 MiB upload's head and its first 64 KiB, waits for the answer and the server's FIN, then
 * sends the rest: the stages of the close, as the client sees them. Returns the response.
 */
async function uploadAgainstStagedClose (t: Test, server: Awaited<ReturnType<typeof listen>>, requestHead: string): Promise<string> {
  const p = await probe(server.port)
  p.socket.write(requestHead)
  await send(p.socket, 64 * 1024)
  await until(t, 'the response and the FIN', () => p.ended)
  const response = p.received()
  // The server closed its side; the client goes on sending the body it announced.
  const atResponse = server.bytesRead()
  const rest = MiB - 64 * 1024
  t.equal(await send(p.socket, rest), rest)
  await until(t, 'the server read the rest of the body', () => server.bytesRead() >= requestHead.length + MiB)
  t.equal(await openConnections(server), 1, 'still open while the client sends')
  t.ok(server.bytesRead() - atResponse >= rest - 64 * 1024, 'what came after the response was read')
  p.socket.end()
  await p.closed
  t.equal(p.error, undefined, 'no reset')
  t.ok(await until(t, 'closed once the client is done', async () => await openConnections(server) === 0))
  return response
}

t.test('stages: Connection: close, half-close after the response, the rest read and dropped, then closed', async (t) => {
  const server = await listen(t, routes)
  const response = await uploadAgainstStagedClose(t, server, uploadHead(MiB))
  t.match(response, /^HTTP\/1\.1 413 /, 'the answer came before the body')
  t.match(response, /\r\nconnection: close\r\n/i)
  t.notOk(server.logs.some((l) => l.level >= 50), 'nothing logged as an error')
})

t.test('Fastify\'s own 415 from the head on a route with rules, HTTP/1.0 without Expect: the same stages', async (t) => {
  // A proxy speaking HTTP/1.0 upstream (nginx's default) streams the body without waiting; Node
  // closes after the answer, given with the body unread: the route's hooks close it in stages.
  const server = await listen(t, routes)
  const response = await uploadAgainstStagedClose(t, server, head('PUT /small HTTP/1.0', { host: 'x', 'content-type': 'no/parser', 'content-length': MiB }))
  t.match(response, /^HTTP\/1\.1 415 /, 'Fastify\'s 415, before the body')
})

t.test('bytes bound: past lingerBytes the connection is closed', async (t) => {
  const lingerBytes = 256 * 1024
  const server = await listen(t, routes, { plugin: { lingerBytes } })
  const p = await probe(server.port)
  p.socket.write(uploadHead(50 * MiB))
  await until(t, 'the response', () => p.ended)
  const atResponse = server.bytesRead()
  const written = await send(p.socket, 50 * MiB)
  t.ok(written < 50 * MiB || p.error !== undefined, 'the client could not send it all')
  await until(t, 'closed', async () => await openConnections(server) === 0)
  t.ok(server.bytesRead() - atResponse <= lingerBytes + 2 * 64 * 1024, `read at most about lingerBytes after the response (${server.bytesRead() - atResponse})`)
  p.socket.destroy()
})

t.test('time bound: a client that neither sends nor closes is closed after lingerTimeout', async (t) => {
  const server = await listen(t, routes, { plugin: { lingerTimeout: 200 } })
  const p = await probe(server.port)
  p.socket.write(uploadHead(MiB))
  await until(t, 'the response', () => p.ended)
  t.ok(await until(t, 'closed by the server', async () => await openConnections(server) === 0, 5000))
  p.socket.destroy()
})

t.test('only bodies left unread linger; lingerTimeout 0 turns it off', async (t) => {
  const server = await listen(t, routes, { plugin: { lingerTimeout: 60_000 } })
  // A body read in full, then Connection: close: nothing left to wait for.
  const body = JSON.stringify({ a: 1, b: 2 })
  const p = await probe(server.port)
  p.socket.write(head('PUT /read HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': body.length, connection: 'close' }) + body)
  await until(t, 'the response', () => p.ended)
  t.match(p.received(), /^HTTP\/1\.1 200 /)
  t.ok(await until(t, 'closed at once, not after 60 s', async () => await openConnections(server) === 0, 5000))
  p.socket.destroy()

  const off = await listen(t, routes, { plugin: { lingerTimeout: 0 } })
  const q = await probe(off.port)
  q.socket.write(uploadHead(MiB))
  await until(t, 'the response', () => q.ended)
  t.ok(await until(t, 'closed at once', async () => await openConnections(off) === 0, 5000))
  q.socket.destroy()
})

t.test('maxLingeringSockets: past the bound, a connection closes at once', async (t) => {
  const server = await listen(t, routes, { plugin: { maxLingeringSockets: 1, lingerTimeout: 60_000 } })
  const first = await probe(server.port)
  first.socket.write(uploadHead(MiB))
  await until(t, 'first response', () => first.ended)
  const second = await probe(server.port)
  second.socket.write(uploadHead(MiB))
  await until(t, 'second response', () => second.ended)
  t.ok(await until(t, 'the second is closed at once', async () => await openConnections(server) === 1, 5000))
  // The lingering one still takes what the client sends; the other one resets it.
  const before = server.bytesRead()
  t.equal(await send(first.socket, 256 * 1024), 256 * 1024)
  await until(t, 'the lingering connection read it', () => server.bytesRead() - before >= 256 * 1024)
  await send(second.socket, 4 * MiB)
  await until(t, 'the closed one resets the client', () => second.error !== undefined || second.socket.destroyed)
  first.socket.end()
  await first.closed
  t.equal(first.error, undefined)
  t.ok(await until(t, 'all closed', async () => await openConnections(server) === 0))
})

t.test('close(): lingering sockets get a short grace, not lingerTimeout; forceCloseConnections closes them at once', async (t) => {
  for (const forceCloseConnections of [false, true]) {
    const server = await listen(t, routes, { plugin: { lingerTimeout: 120_000 }, server: { forceCloseConnections } })
    const p = await probe(server.port)
    p.socket.write(uploadHead(MiB))
    await until(t, 'the response', () => p.ended)
    const closing = server.app.close()
    const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => { setTimeout(resolve, 10_000, 'still waiting').unref() })])
    t.equal(outcome, 'closed', `forceCloseConnections ${forceCloseConnections}: close() did not wait for the lingering socket`)
    t.equal(await openConnections(server), 0)
    p.socket.destroy()
  }
  // A connection that starts lingering while the server closes gets the grace too.
  const server = await listen(t, (app) => {
    routes(app)
    app.addHook('preClose', (done) => { setTimeout(done, 100) })
  }, { plugin: { lingerTimeout: 120_000 } })
  const p = await probe(server.port)
  const closing = server.app.close()
  p.socket.write(uploadHead(MiB))
  await until(t, 'the response', () => p.ended)
  t.match(p.received(), /^HTTP\/1\.1 (413|503) /)
  const outcome = await Promise.race([closing.then(() => 'closed'), new Promise((resolve) => { setTimeout(resolve, 10_000, 'still waiting').unref() })])
  t.equal(outcome, 'closed')
  p.socket.destroy()
})

for (const [label, serverOptions] of [
  ['https', (key: string, cert: string) => ({ https: { key, cert } })],
  ['HTTP/1.1 on an http2 server with allowHTTP1', (key: string, cert: string) => ({ http2: true, https: { allowHTTP1: true, key, cert } })]
] as const) {
  t.test(`TLS: the same staged close, ${label}`, async (t) => {
    // openssl makes the certificate: a skip on a laptop without it, a failure in CI.
    if (requireTool(t, 'openssl') === undefined) return
    const certificate = await makeCertificate(t)
    const server = await listen(t, routes, { server: serverOptions(certificate.key, certificate.cert) as object })
    const body = Buffer.alloc(4 * MiB)
    const outcomes: string[] = []
    for (let i = 0; i < 5; i++) {
      outcomes.push(await new Promise<string>((resolve) => {
        let status = ''
        const req = https.request(`https://127.0.0.1:${server.port}/small`, {
          method: 'PUT', agent: false, ca: certificate.cert, headers: { 'content-type': 'application/json', 'content-length': body.length }
        }, (res) => { status = String(res.statusCode); res.resume() })
        req.on('error', (err: NodeJS.ErrnoException) => { status += ` ${err.code}` })
        req.on('close', () => resolve(status))
        req.end(body)
      }))
    }
    t.same(outcomes, Array(5).fill('413'), 'every https client read its 413, none reset')
    t.ok(await until(t, 'all closed', async () => await openConnections(server) === 0))
  })
}

t.test('a request without Expect after an answered expectation on the same connection: Node\'s own close (the staged close went with that answer)', async (t) => {
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => { if (request.headers['x-deny'] !== undefined) return reply.code(403).send('no') })
    app.put('/read', async (request) => ({ got: Object.keys(request.body as object).length }))
  }, { plugin: { lingerTimeout: 60_000 } })
  const p = await probe(server.port)
  const body = JSON.stringify({ a: 1 })
  p.socket.write(head('PUT /read HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' }))
  await until(t, 'the 100', () => p.received().includes('100 Continue'))
  p.socket.write(body)
  await until(t, 'the first answer', () => p.received().includes('{"got":1}'))
  // The same connection, now a plain upload refused by a hook, its body unread.
  p.socket.write(head('PUT /read HTTP/1.1', { host: 'x', 'x-deny': '1', connection: 'close', 'content-type': 'application/json', 'content-length': MiB }))
  await until(t, 'the refusal', () => p.ended)
  t.match(p.received(), /HTTP\/1\.1 403 /)
  t.ok(await until(t, 'closed at once, as plain Fastify closes it, not after 60 s', async () => await openConnections(server) === 0, 5000))
  p.socket.destroy()
})
