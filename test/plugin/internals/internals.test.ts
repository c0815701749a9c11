// Degrade, never break: each internal the plugin reads, taken away, leaves
// every request served (at worst as plain Fastify would serve it), with a
// warning at registration. And several copies of Fastify in one process work.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { resolveInternals } from '../../../plugin/internals/fastify'
import { expectPlugin, listenOnLoopback } from '../../helpers/server'
import { rawRequest, head } from '../../helpers/raw-client'

const upload = (port: number, path: string, headers: Record<string, string | number>, body = '') => rawRequest({
  port,
  head: head(`PUT ${path} HTTP/1.1`, { host: 'x', expect: '100-continue', 'content-type': 'application/json', ...headers }),
  body
})

/** The answers every app below must give, internals or not. */
async function basics (t: Test, port: number, notFound: 'before the body' | 'after the body'): Promise<void> {
  const small = await upload(port, '/x', { 'content-length': 7 }, '{"a":1}')
  t.same(small.informational, ['HTTP/1.1 100 Continue'])
  t.equal(small.status, 200)
  const big = await upload(port, '/x', { 'content-length': 5000 })
  t.equal(big.status, 413)
  t.same(big.informational, [])
  const foo = await upload(port, '/x', { 'content-length': 7, expect: 'foo' }, '{"a":1}')
  t.equal(foo.status, 417)
  const plain = await rawRequest({ port, head: head('PUT /x HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': 7 }), body: '{"a":1}', sendBody: 'now' })
  t.equal(plain.status, 200, 'a request without Expect')
  const missing = await upload(port, '/nowhere', { 'content-length': 7 }, '{"a":1}')
  t.equal(missing.status, 404)
  t.same(missing.informational, notFound === 'before the body' ? [] : ['HTTP/1.1 100 Continue'], `404 ${notFound}`)
}

const routes = (app: FastifyInstance): void => {
  app.put('/x', { bodyLimit: 1000 }, async () => 'ok')
}

t.test('resolveInternals: a Fastify without the symbols gives warnings that name them, and safe answers', async (t) => {
  const warnings: string[] = []
  const internals = resolveInternals({} as FastifyInstance, (message) => { warnings.push(message) })
  t.equal(warnings.length, 4)
  t.match(warnings.join('\n'), /own setNotFoundHandler not found/)
  t.match(warnings.join('\n'), /"fastify\.serverBindings" not found/)
  t.match(warnings.join('\n'), /"fastify\.schemaErrorFormatter" not found/)
  t.match(warnings.join('\n'), /"fastify\.contentTypeParser" not found/)
  t.same(internals.serverBindings({} as FastifyInstance), [])
  t.equal(internals.schemaErrorFormatter({} as FastifyInstance), undefined)
  t.equal(internals.streams({} as FastifyInstance, 'application/json'), undefined, 'unknown: no warning')
  const app = Fastify()
  const found = resolveInternals(app, (message) => { warnings.push(message) })
  t.equal(warnings.length, 4, 'the real Fastify has all four')
  t.same(found.serverBindings(app), [])
  t.equal(found.streams(app, 'application/json'), false, 'the JSON parser buffers')
  t.equal(found.streams(app, 'image/png'), undefined, 'no parser: unknown')
})

t.test('every Fastify internal missing: a warning each at registration, every request still served', async (t) => {
  const lines: Array<Record<string, any>> = []
  const mocked = t.mockRequire<typeof import('../../../plugin/index')>('../../../plugin/index', {
    '../../../plugin/internals/fastify': {
      resolveInternals: (fastify: FastifyInstance, warn: (message: string) => void) =>
        resolveInternals(Object.create(null) as FastifyInstance, warn)
    }
  })
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  await app.register(mocked.default as unknown as typeof expectPlugin)
  app.put('/strict', { schema: { headers: { type: 'object', required: ['x-id'] } } }, async () => 'ok')
  routes(app)
  const port = await listenOnLoopback(t, app)
  t.equal(lines.filter((l) => /not found/.test(l.msg)).length, 4, 'four warnings')
  await basics(t, port, 'before the body')
  const strict = await upload(port, '/strict', { 'content-length': 2 }, '{}')
  t.equal(strict.status, 400, 'header errors in Fastify\'s default format')
  t.match(JSON.parse(strict.body).message, /headers must have required property 'x-id'/)
})

t.test('setNotFoundHandler options not bound as hooks (a Fastify that drops them): 404 after the body, as plain Fastify', async (t) => {
  const app = Fastify()
  const original = app.setNotFoundHandler
  let dropped = 0
  const set = original as (this: FastifyInstance, ...args: unknown[]) => FastifyInstance
  app.setNotFoundHandler = function (this: FastifyInstance, options?: any, handler?: any) {
    if (typeof options === 'function') return set.call(this, options)
    const { preParsing, ...rest } = options ?? {}
    if (preParsing !== undefined) dropped++
    return set.call(this, rest, handler)
  } as typeof app.setNotFoundHandler
  await app.register(expectPlugin)
  routes(app)
  const port = await listenOnLoopback(t, app)
  t.equal(dropped, 1, 'the plugin gave its hook, and it was dropped')
  await basics(t, port, 'after the body')
})

t.test('two copies of Fastify in one process, each with the plugin', async (t) => {
  // A second copy: Fastify's modules loaded again, with their own symbols (a monorepo, a test runner).
  const cached = Object.keys(require.cache).filter((key) => key.includes('/node_modules/fastify/') || key.includes('/node_modules/avvio/') || key.includes('/node_modules/find-my-way/'))
  const saved = cached.map((key) => [key, require.cache[key]] as const)
  for (const key of cached) Reflect.deleteProperty(require.cache, key)

  const OtherFastify = require('fastify') as typeof Fastify
  for (const [key, module] of saved) require.cache[key] = module
  t.not(OtherFastify, Fastify, 'a distinct copy')
  for (const [name, factory] of [['first copy', Fastify], ['second copy', OtherFastify]] as const) {
    const app = factory()
    await app.register(expectPlugin)
    routes(app)
    const port = await listenOnLoopback(t, app)
    t.test(name, async (t) => { await basics(t, port, 'before the body') })
  }
})

t.test('Node\'s classes without what the plugin wraps (another runtime\'s): a warning each, every request still served', async (t) => {
  const { execFileSync } = await import('node:child_process')
  const { join } = await import('node:path')
  const out = execFileSync(process.execPath, ['--no-warnings', join(__dirname, 'fixtures', 'missing-node.js')], { encoding: 'utf8' })
  const result = JSON.parse(out) as { warnings: string[], accepted: { continued: boolean, status: string }, refused: { continued: boolean, status: string }, plain: { status: string } }
  t.equal(result.warnings.length, 2, 'one warning for each')
  t.match(result.warnings[0], /IncomingMessage\.prototype\._read .*own _read/, 'the first read, by an own _read on each waiting request')
  t.match(result.warnings[1], /destroySoon .*no staged close/, 'the staged close, not available')
  t.same(result.accepted, { continued: true, status: '200' }, 'an accepted upload: the 100 on the first read, then its answer')
  t.same(result.refused, { continued: false, status: '413' }, 'a refused upload: 413 from the head, no 100')
  t.same(result.plain, { status: '200' }, 'a request without Expect')
})
