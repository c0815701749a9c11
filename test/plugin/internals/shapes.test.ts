// Node's objects keep the hidden class plain Fastify gives them, whatever expectation traffic
// they carried (issue 17): an own property left on a request, a socket or a stream would make
// Node's stream code, shared by every later request, meet one more shape. V8 is asked directly
// (%HaveSameMap, in a child process run with --allow-natives-syntax).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

t.test('requests, kept-alive connections and HTTP/2 streams: the class plain Fastify gives them', async (t) => {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--no-warnings', join(__dirname, 'fixtures', 'shapes.js')], { encoding: 'utf8' })
  const result = JSON.parse(out) as { wrapped: boolean[], statuses: { plain: unknown[], plugin: unknown[] }, requests: boolean[], firstLook: boolean[], keptAliveSocket: boolean, streams: boolean[], refusedStreamFast: boolean }
  t.same(result.wrapped, [true, true, true, true], 'Node\'s methods the plugin wraps (the two request classes\' _read, writeHead, destroySoon) are wrapped at registration, before any request')
  t.same(result.statuses.plugin, ['200', '200', '200', '200', '200', '413', 200, 200, 413], 'the traffic was served as meant')
  t.same(result.statuses.plugin, result.statuses.plain, 'as plain Fastify serves it')
  t.same(result.requests, [true, true, true, true, true, true], 'requests: plain, accepted, accepted chunked held to the limit, plain, plain chunked, refused')
  t.same(result.firstLook, [true, true, true, true, true, true], 'each request as Fastify first sees it: the own properties plain Fastify\'s has (no listener added before)')
  t.equal(result.keptAliveSocket, true, 'the connection that carried expectations and stays open')
  t.same(result.streams.slice(0, 2), [true, true], 'HTTP/2: a plain and an accepted stream')
  t.equal(result.refusedStreamFast, true, 'a refused stream, reset a moment later, keeps fast properties')
})
