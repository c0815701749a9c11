// The app of the decision table's tests (test/decision-table.js): one route for every row, and how a
// row's request is read. Shared by the raw client's run (decision-table.test.ts, npm test) and
// curl's (test/interop/plugin-decision-table-curl.test.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Row } from './decision-table'

export const LIMIT = 1000

export function routes (app: FastifyInstance): void {
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

export const payloadOf = (row: Row): Buffer => Buffer.from(row.request.body)
export const expectation = (row: Row): string => row.request.expect ?? '100-continue'
/** With Expect, the client keeps its body until a 100 that never comes. */
export const bodyKept = (row: Row): boolean => !row.continue && row.clientWaits !== false
export const without = (row: Row): number => row.without?.status ?? row.status
