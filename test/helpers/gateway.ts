// Two hops on real sockets: a client -> a Fastify gateway (fastify-expect and a
// forwarder) -> the example upload app (fastify-expect) as the upstream. Each
// server counts the BODY bytes it read from its sockets: the bytes read minus the
// request heads (rebuilt from Node's raw headers, exactly as the clients used
// here write them: `Name: value` lines).
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, Server } from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
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

/** The example upload app (PUT /files/:name: token, 1 MiB, octet-stream or images) as the upstream, with fastify-expect's `expectOptions`. */
export async function startUpstream (t: Test, expectOptions: Record<string, unknown> = {}): Promise<Hop> {
  const app = buildUploadApp({ expectOptions }) as unknown as FastifyInstance
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

// ---------------------------------------------------------------------------
// A byte-logging upstream and a raw client, for the smuggling tests (issue 15):
// the upstream is a raw TCP server that keeps every byte it reads and parses it
// strictly, so a body that goes up unframed shows up as a request of its own.

export interface LoggedRequest {
  /** Index of the upstream connection it came on. */
  readonly connection: number
  readonly method: string
  readonly target: string
  /** The head as received, latin1, without the final CRLF CRLF. */
  readonly head: string
  /** Field values by lower-cased name (repeated lines joined with ", "). */
  readonly fields: Readonly<Record<string, string>>
  /** The body, de-chunked when chunked. */
  readonly body: Buffer
  /** How the body was framed: by Content-Length, chunked, or neither (no body). */
  readonly framing: 'length' | 'chunked' | 'none'
}

export interface ByteLog {
  readonly origin: string
  readonly port: number
  /** Every request parsed, in order (a line that is no request line counts as one too, method 'INVALID'). */
  readonly requests: LoggedRequest[]
  /** Every byte read, per connection. */
  readonly bytes: Buffer[]
  /** Bytes left unparsed on each connection (a partial request) when it closed. */
  readonly leftovers: Buffer[]
  readonly open: ReadonlySet<Socket>
  /** Resolves once no upstream connection is open. */
  allClosed (): Promise<void>
}

/** What an answer hook may do with a parsed request: answer it itself (true), or leave it to the default 200. */
export type UpstreamAnswerHook = (request: LoggedRequest, socket: Socket) => boolean

/** The default answer: 200, empty body, the request's index and target echoed in fields. */
export function defaultAnswer (request: LoggedRequest, index: number): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-upstream-index: ${index}\r\nx-upstream-target: ${request.target}\r\n\r\n`
}

export async function byteLoggingUpstream (t: Test, answer?: UpstreamAnswerHook): Promise<ByteLog> {
  const requests: LoggedRequest[] = []
  const bytes: Buffer[] = []
  const leftovers: Buffer[] = []
  const open = new Set<Socket>()
  let waiters: Array<() => void> = []
  const settle = (): void => {
    if (open.size > 0) return
    const ready = waiters
    waiters = []
    for (const resolve of ready) resolve()
  }
  const server = net.createServer((socket) => {
    const index = bytes.length
    bytes.push(Buffer.alloc(0))
    leftovers.push(Buffer.alloc(0))
    open.add(socket)
    let pending = Buffer.alloc(0)
    let continued = false
    socket.on('error', () => {})
    socket.on('close', () => {
      leftovers[index] = pending
      open.delete(socket)
      settle()
    })
    socket.on('data', (chunk: Buffer) => {
      bytes[index] = Buffer.concat([bytes[index] as Buffer, chunk])
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const parsed = parseRequest(pending, index)
        if (parsed === undefined) {
          // A head waiting for its body: answer an expectation once, as a plain server does.
          const headEnd = pending.indexOf('\r\n\r\n')
          if (headEnd !== -1 && !continued && /\r\nexpect:\s*100-continue/i.test(pending.subarray(0, headEnd).toString('latin1'))) {
            continued = true
            socket.write('HTTP/1.1 100 Continue\r\n\r\n')
          }
          return
        }
        pending = pending.subarray(parsed.used)
        continued = false
        requests.push(parsed.request)
        if (parsed.request.method === 'INVALID') {
          socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
          pending = Buffer.alloc(0)
          return
        }
        if (answer?.(parsed.request, socket) !== true) socket.write(defaultAnswer(parsed.request, requests.length - 1))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of open) socket.destroy()
    server.close()
  })
  const port = (server.address() as AddressInfo).port
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    bytes,
    leftovers,
    open,
    allClosed: async () => {
      if (open.size === 0) return
      await new Promise<void>((resolve) => { waiters.push(resolve) })
    }
  }
}

/** One request from the start of `data`, or undefined when more bytes are needed. */
function parseRequest (data: Buffer, connection: number): { request: LoggedRequest, used: number } | undefined {
  const headEnd = data.indexOf('\r\n\r\n')
  if (headEnd === -1) {
    // Bytes that cannot start a request line are a request of their own (INVALID) as soon as a line ends.
    const lineEnd = data.indexOf('\r\n')
    if (lineEnd !== -1 && !/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(data.subarray(0, lineEnd).toString('latin1'))) {
      return { request: invalid(data, connection), used: data.length }
    }
    return undefined
  }
  const head = data.subarray(0, headEnd).toString('latin1')
  const [line = '', ...lines] = head.split('\r\n')
  const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line)
  if (match === null) return { request: invalid(data, connection), used: data.length }
  const fields: Record<string, string> = {}
  for (const fieldLine of lines) {
    const colon = fieldLine.indexOf(':')
    const name = fieldLine.slice(0, colon).trim().toLowerCase()
    const value = fieldLine.slice(colon + 1).trim()
    fields[name] = fields[name] === undefined ? value : `${fields[name]}, ${value}`
  }
  const base = { connection, method: match[1] as string, target: match[2] as string, head, fields }
  const start = headEnd + 4
  if (fields['transfer-encoding'] !== undefined) {
    const chunks: Buffer[] = []
    let at = start
    for (;;) {
      const sizeEnd = data.indexOf('\r\n', at)
      if (sizeEnd === -1) return undefined
      const size = parseInt(data.subarray(at, sizeEnd).toString('latin1').split(';')[0] as string, 16)
      if (Number.isNaN(size)) return { request: invalid(data, connection), used: data.length }
      if (size === 0) {
        const end = data.indexOf('\r\n\r\n', sizeEnd)
        if (end === -1) return undefined
        return { request: { ...base, body: Buffer.concat(chunks), framing: 'chunked' }, used: end + 4 }
      }
      if (data.length < sizeEnd + 2 + size + 2) return undefined
      chunks.push(data.subarray(sizeEnd + 2, sizeEnd + 2 + size))
      at = sizeEnd + 2 + size + 2
    }
  }
  if (fields['content-length'] !== undefined) {
    const length = Number(fields['content-length'])
    if (data.length < start + length) return undefined
    return { request: { ...base, body: Buffer.from(data.subarray(start, start + length)), framing: 'length' }, used: start + length }
  }
  return { request: { ...base, body: Buffer.alloc(0), framing: 'none' }, used: start }
}

function invalid (data: Buffer, connection: number): LoggedRequest {
  return { connection, method: 'INVALID', target: '', head: data.toString('latin1'), fields: {}, body: Buffer.from(data), framing: 'none' }
}

export interface Exchange {
  /** Informational status codes, in order. */
  informational: number[]
  /** Final status; undefined when the connection ended without one. */
  status: number | undefined
  /** Final response fields, lower-cased names. */
  fields: Record<string, string>
  body: string
  /** The client wrote its body. */
  bodySent: boolean
  /** Everything received, latin1. */
  raw: string
}

/**
 * A raw client for one exchange on a new connection: writes `head`; writes
 * `body` at once, or (`waitForContinue`) only on a 100; resolves when the final
 * response is complete (its Content-Length or chunked end, none for HEAD) or the
 * connection ends. Events only; `bound` ms only guards against a hang.
 */
export async function exchange (port: number, head: string, body: string | Buffer, options: { waitForContinue?: boolean, head?: boolean, bound?: number } = {}): Promise<Exchange> {
  const socket = net.connect(port, '127.0.0.1')
  const result: Exchange = { informational: [], status: undefined, fields: {}, body: '', bodySent: false, raw: '' }
  return new Promise((resolve) => {
    let received = Buffer.alloc(0)
    let bodyStart = -1
    const guard = setTimeout(() => { done() }, options.bound ?? 10_000)
    const done = (): void => {
      clearTimeout(guard)
      socket.destroy()
      resolve(result)
    }
    const send = (): void => {
      if (result.bodySent || body.length === 0) return
      result.bodySent = true
      socket.write(body)
    }
    socket.on('error', () => { done() })
    socket.on('close', () => { done() })
    socket.on('connect', () => {
      socket.write(head)
      if (options.waitForContinue !== true) send()
    })
    socket.on('data', (chunk: Buffer) => {
      result.raw += chunk.toString('latin1')
      received = Buffer.concat([received, chunk])
      while (result.status === undefined) {
        const end = received.indexOf('\r\n\r\n')
        if (end === -1) return
        const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n')
        received = received.subarray(end + 4)
        const code = Number(statusLine.split(' ')[1])
        if (code < 200) {
          result.informational.push(code)
          if (code === 100) send()
          continue
        }
        result.status = code
        for (const line of lines) {
          const colon = line.indexOf(':')
          result.fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        bodyStart = 0
      }
      if (bodyStart === -1) return
      result.body = received.toString('utf8')
      const length = result.fields['content-length']
      if (options.head === true || result.status === 204 || result.status === 304) done()
      else if (length !== undefined && received.length >= Number(length)) done()
      else if (/chunked/i.test(result.fields['transfer-encoding'] ?? '') && received.includes('0\r\n\r\n')) done()
    })
  })
}
