// The app test/runtimes/runtimes.test.ts starts under Bun and Deno (and Node, for
// comparison): Fastify with the built plugin, the routes of the decision table's
// essentials. It prints one JSON line ({ port }) once listening, then its log lines;
// GET /count and /ran tell the test what ran.
import Fastify from 'fastify'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const fastifyExpect = require('../../dist/plugin/index.js')

const warnings = []
const app = Fastify({
  logger: {
    level: 'warn',
    stream: { write: (line) => { warnings.push(JSON.parse(line).msg) } }
  }
})
await app.register(fastifyExpect)
let count = 0
const ran = []
app.addHook('onRequest', async (request, reply) => {
  if (request.headers.authorization === 'no') return reply.code(401).send({ error: 'no' })
})
app.get('/count', async () => ++count)
app.get('/ran', async () => ({ count, ran, warnings }))
app.get('/a', async () => { ran.push('a'); return 'a' })
app.get('/b', async () => { ran.push('b'); return 'b' })
app.post('/upload', { bodyLimit: 1024, config: { expect: { contentTypes: ['application/json'] } } }, async (request) => request.body)
app.post('/echo', async (request) => request.body)
app.post('/big', { bodyLimit: 1024 * 1024 }, async () => 'accepted')
await app.listen({ port: 0, host: '127.0.0.1' })
console.log(JSON.stringify({ port: app.server.address().port, runtime: typeof Bun !== 'undefined' ? 'bun' : typeof Deno !== 'undefined' ? 'deno' : 'node' }))
