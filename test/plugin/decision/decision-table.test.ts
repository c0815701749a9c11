// The decision table (test/decision-table.js), row by row over real sockets,
// as Go's serverExpectTests: each situation sent with `Expect: 100-continue` by
// a client that waits for the 100, and without it (body sent at once), by a raw
// client and by curl. One answer per request: the same final status and error
// either way, unless the row says why not. With Expect, a refused upload is
// answered before its body: no 100, no body byte sent, only the head read; and
// expectationOf() tells the app which decision was taken.
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import net, { type Socket } from 'node:net'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { expectationOf, type ExpectationInfo } from '../../../plugin/index'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { listen, type Listening } from '../../helpers/server'
import { runCurl, skip as noCurl } from '../../helpers/curl'
import { tempDir } from '../../helpers/interop'
import { head, rawRequest } from '../../helpers/raw-client'
import { rows, type Row } from './decision-table'

const LIMIT = 1000

function routes (app: FastifyInstance): void {
  // A streaming parser: it takes the raw stream, so Fastify checks no limit itself.
  const countBytes = (request: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void): void => {
    let bytes = 0
    payload.on('data', (chunk: Buffer) => { bytes += chunk.length })
    payload.on('end', () => { done(null, { bytes }) })
    payload.on('error', done)
  }
  app.addContentTypeParser('application/octet-stream', countBytes)
  app.addContentTypeParser('image/png', countBytes)
  const echo = async (request: FastifyRequest): Promise<unknown> => ({ received: request.body ?? null })
  app.get('/items', async () => ({ items: [] }))
  app.post('/items', echo)
  app.post('/small', { bodyLimit: LIMIT }, echo)
  app.put('/stream', { bodyLimit: LIMIT }, echo)
  app.post('/images', { config: { expect: { contentTypes: ['image/png'] } } }, echo)
  app.post('/json-only', { schema: { body: { content: { 'application/json': { schema: { type: 'object' } } } } } }, echo)
  app.post('/tenant', { schema: { headers: { type: 'object', required: ['x-tenant'] } } }, echo)
  app.addContentTypeParser('application/x-small', { bodyLimit: 100 }, countBytes)
  app.put('/small-parser', echo)
  app.post('/after-checks', { config: { expect: { sendContinue: 'after-checks' } } }, echo)
  // A parser that hands the body on unread: the handler reads request.raw.
  app.addContentTypeParser('application/x-raw', (request, payload, done) => { done(null) })
  app.put('/raw', { bodyLimit: LIMIT }, async (request) => {
    let bytes = 0
    for await (const chunk of request.raw) bytes += (chunk as Buffer).length
    return { bytes }
  })
  app.post('/checked', { config: { expect: { check: () => { throw Object.assign(new Error('not for you'), { statusCode: 403 }) } } } }, echo)
  // onRequest hooks, as auth, rate limit and load shedding plugins add them.
  const refusing = (prefix: string, refuse: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined): void => {
    app.register(async (scope) => {
      scope.addHook('onRequest', async (request, reply) => refuse(request, reply))
      scope.post('/items', echo)
    }, { prefix })
  }
  refusing('/private', (request, reply) => request.headers.authorization === undefined ? reply.code(401).send({ statusCode: 401, code: 'NO_TOKEN', message: 'who are you' }) : undefined)
  refusing('/limited', (request, reply) => reply.code(429).header('retry-after', '60').send({ statusCode: 429, code: 'RATE_LIMITED', message: 'slow down' }))
  refusing('/busy', (request, reply) => reply.code(503).header('retry-after', '10').send({ statusCode: 503, code: 'OVERLOADED', message: 'busy' }))
}

const payloadOf = (row: Row): Buffer => Buffer.from(row.request.body)
const expectation = (row: Row): string => row.request.expect ?? '100-continue'
/** With Expect, the client keeps its body until a 100 that never comes. */
const bodyKept = (row: Row): boolean => !row.continue && row.clientWaits !== false
const without = (row: Row): number => row.without?.status ?? row.status
const codeOf = (body: string): unknown => { try { return JSON.parse(body).code } catch { return undefined } }

function rawHead (row: Row, expect: boolean): string {
  const { method = 'POST', path, type, chunked, version = '1.1', headers = {} } = row.request
  return head(`${method} ${path} HTTP/${version}`, {
    host: 'localhost',
    ...(type === undefined ? {} : { 'content-type': type }),
    ...(chunked === true ? { 'transfer-encoding': 'chunked' } : { 'content-length': payloadOf(row).length }),
    ...(expect ? { expect: expectation(row) } : {}),
    ...headers
  })
}

function rawBody (row: Row): Buffer {
  const payload = payloadOf(row)
  if (row.request.chunked !== true) return payload
  return Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')])
}

interface ServerSide {
  /** The server's end of the connection: what it read for this one request, whatever earlier ones still drain. */
  socket (clientPort: number): Socket | undefined
  /** Node's request object, from whichever server event it came (417s never reach Fastify). */
  request (clientPort: number): IncomingMessage | undefined
}

/** What the server saw of each connection, by the client's port. */
function serverSide (server: Listening): ServerSide {
  const sockets = new Map<number, Socket>()
  const requests = new Map<number, IncomingMessage>()
  const http = server.app.server
  http.on('connection', (socket: Socket) => { sockets.set(socket.remotePort as number, socket) })
  // Listening after the plugin's own listeners changes nothing of what Node does.
  for (const event of ['checkContinue', 'checkExpectation', 'request']) {
    http.on(event, (request: IncomingMessage) => { requests.set(request.socket.remotePort as number, request) })
  }
  return { socket: (port) => sockets.get(port), request: (port) => requests.get(port) }
}

/** `verdict (reason)`, as the rows write it. */
const describe = ({ verdict, reason }: ExpectationInfo): string => reason === undefined ? verdict : `${verdict} (${reason})`

async function connect (port: number): Promise<Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  return socket
}

async function rawRow (t: Test, server: Listening, seen: ServerSide, row: Row): Promise<void> {
  const body = rawBody(row)
  const requestHead = rawHead(row, true)
  const socket = await connect(server.port)
  const clientPort = socket.localPort as number
  const sendBody = row.clientWaits === false ? 'now' : 'on-continue'
  const r = await rawRequest({ port: server.port, socket, head: requestHead, body, sendBody, keepOpen: row.keepsConnection === true })
  t.equal(r.status, row.status, 'with Expect: the final status')
  t.same(r.informational, row.continue ? ['HTTP/1.1 100 Continue'] : [], row.continue ? 'a 100 came first' : 'no 100')
  if (bodyKept(row)) {
    t.equal(r.bodyBytesSent, 0, 'the client sent no body byte')
    t.equal(seen.socket(clientPort)?.bytesRead, requestHead.length, 'the server read only the head')
  } else {
    t.equal(r.bodyBytesSent, body.length, 'the client sent its body')
    if (row.status < 400) t.equal(seen.socket(clientPort)?.bytesRead, requestHead.length + body.length, 'the server read it all')
  }
  const raw = seen.request(clientPort)
  const info = raw === undefined ? undefined : expectationOf(raw)
  t.equal(info === undefined ? 'not seen' : describe(info), row.decision, 'expectationOf() tells the app what happened')
  t.equal(info?.continueSent ?? false, row.continue, 'and whether a 100 went out')
  if (row.keepsConnection === true) {
    t.equal(r.headers.connection, 'keep-alive', 'the connection stays open')
    const next = await rawRequest({ port: server.port, socket: r.socket, head: head('GET /items HTTP/1.1', { host: 'localhost' }) })
    t.equal(next.status, 200, 'and serves the next request')
  }

  const plain = await rawRequest({ port: server.port, head: rawHead(row, false), body, sendBody: 'now' })
  t.equal(plain.status, without(row), row.without === undefined ? 'without Expect: the same status' : `without Expect: ${without(row)}, by design: ${row.without.why}`)
  t.same(plain.informational, [], 'without Expect: no 100')
  if (row.without === undefined && row.status >= 400) t.equal(codeOf(plain.body), codeOf(r.body), 'the same error either way')
}

// Over HTTP/1.0 curl still waits for the 100 it was told to expect, its whole
// timeout, then sends the body: the server rightly sends no 100 there.
function curlArgs (row: Row, file: string, origin: string, expect: boolean): string[] {
  const { method = 'POST', path, type, chunked, version, headers = {} } = row.request
  return [
    '--expect100-timeout', '5',
    ...(version === '1.0' ? ['--http1.0'] : []),
    '-X', method,
    '-H', `Content-Type:${type === undefined ? '' : ` ${type}`}`, // none unless the row sends one (curl adds a form type)
    ...(chunked === true ? ['-H', 'Transfer-Encoding: chunked'] : []),
    '-H', expect ? `Expect: ${expectation(row)}` : 'Expect:',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '--data-binary', `@${file}`,
    '-o', '/dev/null',
    `${origin}${path}`
  ]
}

async function curlRow (t: Test, server: Listening, dir: string, row: Row, index: number): Promise<void> {
  const file = join(dir, `row-${index}.bin`)
  writeFileSync(file, payloadOf(row))
  const origin = `http://127.0.0.1:${server.port}`
  const r = await runCurl(curlArgs(row, file, origin, true))
  t.equal(r.error, undefined, 'with Expect: curl succeeded')
  t.equal(r.status, row.status, 'with Expect: the final status')
  t.equal(r.continued, row.continue, row.continue ? 'a 100 came first' : 'no 100')
  // curl waits only for 100-continue; other expectations go with the body at once.
  if (bodyKept(row) && expectation(row) === '100-continue') t.equal(r.uploaded, 0, 'curl uploaded no body byte')
  // curl counts the chunk framing as uploaded bytes.
  if (row.continue) t.ok(r.uploaded >= payloadOf(row).length, `curl uploaded its body (${r.uploaded} bytes)`)

  const plain = await runCurl(curlArgs(row, file, origin, false))
  t.equal(plain.error, undefined, 'without Expect: curl succeeded')
  t.equal(plain.status, without(row), 'without Expect: ' + (row.without === undefined ? 'the same status' : `${without(row)}, by design: ${row.without.why}`))
  t.notOk(plain.continued, 'without Expect: no 100')
}

// One app with a route for every row, built once; rows run one after another,
// each on its own connection.
t.test('the decision table', async (t) => {
  const server = await listen(t, routes)
  const seen = serverSide(server)
  t.test('raw client', async (t) => {
    for (const row of rows) {
      await t.test(row.name, { todo: row.todo ?? false }, (t) => rawRow(t, server, seen, row))
    }
  })
  t.test('curl', { skip: noCurl }, async (t) => {
    const dir = tempDir(t)
    for (const [index, row] of rows.entries()) {
      await t.test(row.name, { todo: row.todo ?? false, skip: row.rawOnly === true ? 'a head curl does not send' : false }, (t) => curlRow(t, server, dir, row, index))
    }
  })
})
