// An upload app for the admission tests: PUT /upload reads its body (Fastify's
// buffer parser) and, with `x-hold`, keeps its answer (and so its slot) until
// the test lets it go; a count, at the sockets, of the bodies in flight.
import type { FastifyInstance } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Test } from 'tap'
import { listen, type Listening } from '../../helpers/server'

export interface UploadApp extends Listening {
  /** Requests the app is holding (their body read), in arrival order. */
  held: Array<() => void>
  /** Lets the oldest held request answer. */
  releaseOne (): void
  /** Bodies the handler received, by length. */
  received: number[]
  /** Largest number of bodies in flight seen at the sockets (bytes past the head arrived, no answer finished yet). */
  maxInFlight (): number
  inFlight (): number
}

export async function uploadApp (t: Test, plugin: Record<string, unknown>, setup?: (app: FastifyInstance) => void, server?: Record<string, unknown>): Promise<UploadApp> {
  const held: Array<() => void> = []
  const received: number[] = []
  const listening = await listen(t, (app) => {
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: 64 * 1024 * 1024 }, (_request, body, done) => { done(null, body) })
    const handler = async (request: import('fastify').FastifyRequest): Promise<{ bytes: number }> => {
      const body = request.body as Buffer
      received.push(body.length)
      if (request.headers['x-hold'] !== undefined) await new Promise<void>((resolve) => held.push(resolve))
      return { bytes: body.length }
    }
    app.put('/upload', handler)
    app.put('/own', { config: { expect: { maxConcurrentUploads: 1 } } }, handler)
    app.put('/free', { config: { expect: false } }, handler)
    setup?.(app)
  }, { plugin, server })
  // At the sockets: what a connection had read when its request arrived (the head) and what it has read now.
  const requests = new Map<ServerResponse, { socket: Socket, head: number }>()
  listening.app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.httpVersionMajor !== 1) return
    requests.set(response, { socket: request.socket, head: request.socket.bytesRead })
    response.once('finish', () => requests.delete(response))
    response.once('close', () => requests.delete(response))
  })
  let max = 0
  const inFlight = (): number => {
    let n = 0
    for (const { socket, head } of requests.values()) if (socket.bytesRead > head) n++
    return n
  }
  const timer = setInterval(() => { max = Math.max(max, inFlight()) }, 1)
  t.teardown(() => clearInterval(timer))
  return {
    ...listening,
    held,
    received,
    releaseOne: () => { (held.shift() as () => void)() },
    maxInFlight: () => Math.max(max, inFlight()),
    inFlight
  }
}

export const uploadHead = (port: number, bytes: number, extra = ''): string =>
  `PUT /upload HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\nExpect: 100-continue\r\nX-Hold: 1\r\n${extra}\r\n`
