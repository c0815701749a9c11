// The gateway forms the smuggling tests run through, each in front of one
// upstream origin, each with its own keep-alive agent (so upstream connections are
// reused across requests, as in production, and closed at the end):
// - 'proxy': @fastify/http-proxy (prefix /files rewritten to /upload) with expectContinueHandler;
// - 'route': a route /files/:name calling forwardExpectation with url '/upload/' + the name;
// - 'node': examples/gateway.js, the plain node:http gateway (paths as received);
// - 'plain': @fastify/http-proxy as it is (undici), for comparison.
// fastify-expect is registered on every Fastify gateway.
import Fastify, { type FastifyInstance } from 'fastify'
import httpProxy from '@fastify/http-proxy'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { createGateway } from '../../examples/gateway'
import { expectContinueHandler, forwardExpectation } from '../../gateway/index'
import { expectPlugin } from '../helpers/server'

export type FormName = 'proxy' | 'route' | 'node' | 'plain'

export interface RunningGateway {
  readonly form: FormName
  readonly port: number
  /** The client's path for an upstream path under /upload (the node form forwards paths as received). */
  path (name: string): string
  /** What the gateway logged (node form) or warned (Fastify forms), as text. */
  readonly logs: string[]
  /** Closes the gateway and its upstream connections. */
  close (): Promise<void>
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const

export async function startForm (t: Test, form: FormName, upstream: string, options: { timeout?: number, continueTimeout?: number } = {}): Promise<RunningGateway> {
  const agent = new http.Agent({ keepAlive: true })
  const logs: string[] = []
  if (form === 'node') {
    const server = createGateway({ upstream, agent, ...options, log: (error: Error) => { logs.push(`${error.message} ${String((error as { cause?: unknown }).cause)}`) } })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const close = async (): Promise<void> => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      agent.destroy()
    }
    t.teardown(close)
    return { form, port: (server.address() as AddressInfo).port, path: (name) => `/upload/${name}`, logs, close }
  }
  const app: FastifyInstance = Fastify({
    logger: { level: 'warn', stream: { write: (line: string) => { logs.push(line) } } }
  })
  app.register(expectPlugin)
  if (form === 'proxy' || form === 'plain') {
    app.register(httpProxy, {
      upstream,
      prefix: '/files',
      rewritePrefix: '/upload',
      // reply-from's undici pool closes its idle connections only when they time out
      // (4 s by default), even on close: the tests wait for that close.
      undici: { keepAliveTimeout: 200 },
      ...(form === 'proxy' ? { handler: expectContinueHandler({ upstream, agent, ...options }) } : {})
    })
  } else {
    app.register(async (scope) => {
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
      scope.route<{ Params: { name: string } }>({
        method: [...METHODS],
        url: '/files/:name',
        exposeHeadRoute: false,
        handler: (request, reply) => forwardExpectation(request, reply, { upstream, agent, ...options, url: `/upload/${encodeURIComponent(request.params.name)}` })
      })
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const close = async (): Promise<void> => {
    await app.close()
    agent.destroy()
  }
  t.teardown(close)
  return { form, port: (app.server.address() as AddressInfo).port, path: (name) => `/files/${name}`, logs, close }
}

export { METHODS }
