// Every decision, as published on the `fastify-expect:decision` channel and
// logged, one row per situation over real sockets: the verdict, the reason, the
// status the client got, and one log line for each refusal (none otherwise).
import t from 'tap'
import diagnostics from 'node:diagnostics_channel'
import { head, rawRequest } from '../helpers/raw-client'
import type { DecisionMessage } from '../../plugin/report'
import { listen } from '../helpers/server'

interface Row {
  readonly what: string
  readonly line?: string
  readonly path: string
  readonly headers: Record<string, string | number>
  readonly verdict: DecisionMessage['verdict']
  readonly reason: string | undefined
  readonly statusCode: number | undefined
}

const json = { 'content-type': 'application/json', 'content-length': 2 }
const rows: Row[] = [
  { what: 'accepted: the 100 on the first read', path: '/ok', headers: json, verdict: 'continued', reason: undefined, statusCode: 100 },
  { what: 'route bodyLimit', path: '/limit', headers: { ...json, 'content-length': 11 }, verdict: 'refused', reason: 'body-limit', statusCode: 413 },
  { what: 'config.expect.contentTypes', path: '/images', headers: json, verdict: 'refused', reason: 'media-type', statusCode: 415 },
  { what: 'header schema', path: '/headers', headers: json, verdict: 'refused', reason: 'headers', statusCode: 400 },
  { what: 'a check that throws', path: '/check', headers: json, verdict: 'refused', reason: 'check', statusCode: 403 },
  { what: 'a check that answers itself', path: '/answers', headers: json, verdict: 'refused', reason: 'check', statusCode: 429 },
  { what: 'a check that answers itself below 400 (a redirect)', path: '/redirects', headers: json, verdict: 'ignored', reason: 'check', statusCode: 307 },
  { what: 'an async check that answers itself below 400', path: '/redirects-later', headers: json, verdict: 'ignored', reason: 'check', statusCode: 204 },
  { what: 'an onRequest hook', path: '/ok', headers: { ...json, authorization: 'no' }, verdict: 'refused', reason: 'hook', statusCode: 401 },
  { what: 'no route', path: '/nowhere', headers: json, verdict: 'refused', reason: 'not-found', statusCode: 404 },
  { what: 'an unknown expectation', path: '/ok', headers: { ...json, expect: 'x-teapot' }, verdict: 'expectation-failed', reason: 'expectation', statusCode: 417 },
  { what: 'no body framed', line: 'GET', path: '/ok', headers: {}, verdict: 'ignored', reason: 'no-body', statusCode: undefined },
  { what: 'a handler that answers without reading', path: '/unread', headers: { 'content-type': 'application/octet-stream', 'content-length': 2 }, verdict: 'ignored', reason: 'answered-without-body', statusCode: 200 }
]

t.test('each decision: its verdict, reason and status on the channel, and a log line for each refusal', async (t) => {
  const received: DecisionMessage[] = []
  const onMessage = (message: unknown): void => { received.push(message as DecisionMessage) }
  diagnostics.subscribe('fastify-expect:decision', onMessage)
  t.teardown(() => diagnostics.unsubscribe('fastify-expect:decision', onMessage))
  const server = await listen(t, (app) => {
    app.addHook('onRequest', async (request, reply) => { if (request.headers.authorization === 'no') return reply.code(401).send('who') })
    app.route({ method: ['GET', 'POST'], url: '/ok', handler: async () => 'ok' })
    app.post('/limit', { bodyLimit: 10 }, async () => 'ok')
    app.post('/images', { config: { expect: { contentTypes: ['image/*'] } } }, async () => 'ok')
    app.post('/headers', { schema: { headers: { type: 'object', required: ['x-id'] } } }, async () => 'ok')
    app.post('/check', { config: { expect: { check: () => { throw Object.assign(new Error('no'), { statusCode: 403 }) } } } }, async () => 'ok')
    app.post('/answers', { config: { expect: { check: (request, reply) => { reply.code(429).send('later') } } } }, async () => 'ok')
    app.post('/redirects', { config: { expect: { check: (request, reply) => { reply.redirect('/elsewhere', 307) } } } }, async () => 'ok')
    app.post('/redirects-later', { config: { expect: { check: async (request, reply) => { await new Promise((resolve) => setImmediate(resolve)); reply.code(204).send() } } } }, async () => 'ok')
    app.register(async (app) => {
      app.addContentTypeParser('application/octet-stream', (request, payload, done) => { done(null) })
      app.post('/unread', async () => 'not read')
    })
  })
  for (const [index, row] of rows.entries()) {
    const url = `${row.path}?row=${index}`
    const logsBefore = server.logs.length
    const r = await rawRequest({
      port: server.port,
      head: head(`${row.line ?? 'POST'} ${url} HTTP/1.1`, { host: 'x', expect: '100-continue', ...row.headers }),
      body: row.line === 'GET' ? '' : '{}'
    })
    // Published when the verdict settled: at the read, or as the answer's head was written (before the client read it).
    const messages = received.filter((m) => m.url === url)
    t.equal(messages.length, 1, `${row.what}: one message`)
    const message = messages[0] ?? ({} as Partial<DecisionMessage>)
    t.same(
      { verdict: message.verdict, reason: message.reason, statusCode: message.statusCode, declaredLength: message.declaredLength, method: message.method },
      { verdict: row.verdict, reason: row.reason, statusCode: row.statusCode, declaredLength: row.headers['content-length'], method: row.line ?? 'POST' },
      row.what)
    t.equal(r.status, row.verdict === 'continued' ? 200 : row.statusCode ?? 200, `${row.what}: the status the client got`)
    const lines = server.logs.slice(logsBefore).filter((l) => l.expect !== undefined)
    const refusal = row.verdict === 'refused' || row.verdict === 'expectation-failed'
    t.same(lines.map((l) => l.expect), refusal ? [{ verdict: row.verdict, reason: row.reason, statusCode: row.statusCode, declaredLength: row.headers['content-length'] }] : [], `${row.what}: ${refusal ? 'one log line' : 'no log line'}`)
  }
  t.equal(received.length, rows.length, 'one message per request')
})
