// Two hops on real sockets: a client -> a Fastify gateway (fastify-expect and a
// forwarder) -> the example upload app (fastify-expect) as the upstream. Each
// server counts the BODY bytes it read from its sockets: the bytes read minus the
// request heads (rebuilt from Node's raw headers, exactly as the clients used
// here write them: `Name: value` lines).
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Test } from 'tap'
import { buildUploadApp } from '../../examples/upload-app'
import { listenOnLoopback } from './server'

export { TOKEN } from '../../examples/upload-app'

export interface BodyCount {
  /** Body bytes read so far on all connections (open ones included). */
  bodyBytes (): number
  /** Connections open now. */
  readonly open: ReadonlySet<Socket>
}

/** The head as the client wrote it, for the clients used here (raw client, Node's http client, curl). */
export function headLength (request: IncomingMessage): number {
  let length = Buffer.byteLength(`${request.method ?? ''} ${request.url ?? ''} HTTP/${request.httpVersion}\r\n\r\n`)
  const raw = request.rawHeaders
  for (let i = 0; i < raw.length; i += 2) length += Buffer.byteLength(`${raw[i] ?? ''}: ${raw[i + 1] ?? ''}\r\n`)
  return length
}

/** Counts the body bytes an HTTP/1.1 server reads, from now on. */
export function countBodyBytes (server: Server): BodyCount {
  const open = new Set<Socket>()
  const heads = new WeakMap<Socket, number>()
  let closedBody = 0
  const bodyOf = (socket: Socket): number => socket.bytesRead - (heads.get(socket) ?? 0)
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.on('close', () => { closedBody += bodyOf(socket); open.delete(socket) })
  })
  const counted = new WeakSet<IncomingMessage>()
  const onHead = (request: IncomingMessage): void => {
    if (counted.has(request)) return
    counted.add(request)
    heads.set(request.socket, (heads.get(request.socket) ?? 0) + headLength(request))
  }
  // Every request, whichever event brought it (fastify-expect re-emits expectations as 'request').
  // Only events the server already listens to: a listener of our own would change what Node does.
  server.prependListener('request', onHead)
  for (const event of ['checkContinue', 'checkExpectation']) {
    if (server.listenerCount(event) > 0) server.prependListener(event, onHead)
  }
  return { bodyBytes: () => closedBody + [...open].reduce((sum, socket) => sum + bodyOf(socket), 0), open }
}

export interface Hop {
  app: FastifyInstance
  port: number
  origin: string
  count: BodyCount
}

/** The example upload app (PUT /files/:name: token, 1 MiB, octet-stream or images) as the upstream. */
export async function startUpstream (t: Test): Promise<Hop> {
  const app = buildUploadApp() as unknown as FastifyInstance
  await app.ready()
  const count = countBodyBytes(app.server)
  const port = await listenOnLoopback(t, app)
  return { app, port, origin: `http://127.0.0.1:${port}`, count }
}

/** Listens with the given gateway app and counts its body bytes. */
export async function startGateway (t: Test, app: FastifyInstance): Promise<Hop> {
  await app.ready()
  const count = countBodyBytes(app.server)
  const port = await listenOnLoopback(t, app)
  return { app, port, origin: `http://127.0.0.1:${port}`, count }
}
