// The decision table (test/decision-table.js), row by row over real sockets,
// as Go's serverExpectTests: each situation sent with `Expect: 100-continue` by
// a client that waits for the 100, and without it (body sent at once), by a raw
// client (curl's run: test/interop/plugin-decision-table-curl.test.ts). One
// answer per request: the same final status and error either way, unless the
// row says why not. With Expect, a refused upload is
// answered before its body: no 100, no body byte sent, only the head read; and
// expectationOf() tells the app which decision was taken.
import t, { type Test } from 'tap'
import net, { type Socket } from 'node:net'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { expectationOf, type ExpectationInfo } from '../../../plugin/index'
import { listen, type Listening } from '../../helpers/server'
import { head, rawRequest } from '../../helpers/raw-client'
import { rows, type Row } from './decision-table'
import { bodyKept, expectation, payloadOf, routes, without } from './decision-table-app'

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
})
