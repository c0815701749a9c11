// Test servers: a Fastify app with the plugin (from the TypeScript source, so
// coverage counts), listening on loopback, with a count of the body bytes the
// server actually read from its sockets.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { EventEmitter } from 'node:events'
import net, { type AddressInfo, type Socket } from 'node:net'
import type { Test } from 'tap'
import fastifyExpect from '../../plugin/index'

export const expectPlugin = fastifyExpect as unknown as import('fastify').FastifyPluginCallback<Record<string, unknown>>

export interface Listening {
  app: FastifyInstance
  port: number
  /** Bytes read from all sockets so far (head and body). */
  bytesRead (): number
  /** Log lines written by the app, parsed. */
  logs: Array<Record<string, any>>
}

/** Builds an app with the plugin, lets `setup` add routes, listens, and closes it when the test ends. */
export async function listen (
  t: Test,
  setup: (app: FastifyInstance) => void | Promise<void>,
  options: { plugin?: Record<string, unknown> | false, server?: FastifyServerOptions, before?: (app: FastifyInstance) => void } = {}
): Promise<Listening> {
  const logs: Array<Record<string, any>> = []
  const app = Fastify({
    logger: { level: 'trace', stream: { write: (line: string) => { logs.push(JSON.parse(line)) } } },
    ...options.server
  })
  options.before?.(app)
  if (options.plugin !== false) await app.register(expectPlugin, options.plugin ?? {})
  await setup(app)
  const { bytesRead } = countBytesRead(app.server)
  const port = await listenOnLoopback(t, app)
  return {
    app,
    port,
    bytesRead,
    logs
  }
}

export interface ByteCount {
  /** Bytes read from all the server's sockets so far (head and body; over TLS, as encrypted). */
  bytesRead (): number
  /** The connections still open. */
  readonly open: ReadonlySet<Socket>
}

/** Counts what a server (HTTP/1.1 or HTTP/2, cleartext or TLS) reads from its sockets, from now on. */
export function countBytesRead (server: EventEmitter): ByteCount {
  const open = new Set<Socket>()
  let closedBytes = 0
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.on('close', () => { closedBytes += socket.bytesRead; open.delete(socket) })
  })
  return { bytesRead: () => closedBytes + [...open].reduce((sum, s) => sum + s.bytesRead, 0), open }
}

export const MiB = 1024 * 1024

/** Connections the app's server has open now. */
export const openConnections = (server: Listening): Promise<number> =>
  new Promise((resolve, reject) => server.app.server.getConnections((err, n) => { err == null ? resolve(n) : reject(err) }))

/** Polls until `check` holds, or fails the test after `bound` ms (a bound, not a speed requirement). */
export async function until (t: Test, what: string, check: () => boolean | Promise<boolean>, bound = 10_000): Promise<boolean> {
  const end = Date.now() + bound
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.fail(`${what}: not within ${bound} ms`)
  return false
}

export interface RawConnection {
  socket: Socket
  /** Everything the server sent so far (latin1). */
  received (): string
  /** The connection has closed. */
  closed (): boolean
}

/** An open TCP connection to the server that records what comes back; errors are expected and ignored. */
export async function openConnection (port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  const socket = net.connect({ port, host: '127.0.0.1', ...options })
  let received = ''
  let closed = false
  socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
  socket.on('error', () => {})
  socket.on('close', () => { closed = true })
  await new Promise((resolve) => socket.once('connect', resolve))
  return { socket, received: () => received, closed: () => closed }
}

/** Listens on a free loopback port, closes the app when the test ends, and returns the port. */
export async function listenOnLoopback (t: Test, app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return (app.server.address() as AddressInfo).port
}
