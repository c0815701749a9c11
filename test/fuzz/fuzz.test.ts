// The fuzz run of test/fuzz.js, bounded for the suite: a few thousand
// generated requests over raw sockets against the plugin from its source, with
// a fixed seed (FUZZ_SEED to try another, FUZZ_RUNS for more cases). The
// properties are listed in test/fuzz.js; `npm run fuzz` runs 100 000.
import t from 'tap'
import Fastify from 'fastify'
import { expectPlugin } from '../helpers/server'
import { fuzz, parseResponses, violations } from './fuzz.js'
import { fuzzH2 } from './fuzz-h2.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261122)
const numRuns = Number(process.env.FUZZ_RUNS ?? 3000)

t.test(`${numRuns} generated exchanges, seed ${seed}`, async (t) => {
  const { details, ms } = await fuzz({ Fastify, plugin: expectPlugin, numRuns, seed })
  t.comment(`${details.numRuns} cases in ${(ms / 1000).toFixed(1)} s`)
  const failure = details.failed
    ? `seed ${details.seed}, path "${details.counterexamplePath}": ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`
    : undefined
  t.equal(failure, undefined, 'every property held')
  t.equal(details.numRuns, numRuns, 'every case ran')
})

const h2Runs = Number(process.env.FUZZ_H2_RUNS ?? 300)
t.test(`HTTP/2: ${h2Runs} generated exchanges, seed ${seed}`, async (t) => {
  const { details, ms } = await fuzzH2({ Fastify, plugin: expectPlugin, numRuns: h2Runs, seed })
  t.comment(`${details.numRuns} cases in ${(ms / 1000).toFixed(1)} s`)
  const failure = details.failed
    ? `seed ${details.seed}, path "${details.counterexamplePath}": ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`
    : undefined
  t.equal(failure, undefined, 'every property held')
  t.equal(details.numRuns, h2Runs, 'every case ran')
})

t.test('the checks themselves catch what they are meant to catch', async (t) => {
  const c: Parameters<typeof violations>[0] = { method: 'POST', path: '/upload', version: 'HTTP/1.1', expect: ['100-continue'], contentLength: ['1'], transferEncoding: [], contentType: undefined, deny: false, bodySize: 1, client: 'wait' }
  const found = (received: string, pattern: RegExp, options: { closed?: boolean, timedOut?: boolean, leftOpen?: boolean, c?: typeof c } = {}): boolean =>
    violations(options.c ?? c, { received, closed: options.closed ?? false, timedOut: options.timedOut ?? false, leftOpen: options.leftOpen ?? false }).some((v) => pattern.test(v))
  const ok = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'
  t.same(violations(c, { received: ok, closed: false, timedOut: false }), [], 'a clean exchange')
  t.same(violations(c, { received: '', closed: true, timedOut: false }), [], 'a close without an answer is allowed')
  t.ok(found('HTTP/1.1 100 Continue\r\n\r\n' + ok, /^2 times 100$/))
  t.ok(found(ok + 'HTTP/1.1 100 Continue\r\n\r\n', /informational response after the final one/))
  t.ok(found('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', /more than one final response: 413, 200/, { closed: true }))
  const secondAnswer = 'HTTP/1.1 415 Unsupported Media Type\r\ncontent-length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'
  t.same(violations({ ...c, transferEncoding: ['x-garbage'] }, { received: secondAnswer, closed: true, timedOut: false }), [], 'Node\'s 400 after a body it cannot frame')
  t.ok(found(secondAnswer, /more than one final/, { closed: true }), 'but only then')
  t.ok(found('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 417 Expectation Failed\r\ncontent-length: 0\r\n\r\n', /a 100, then 417/))
  t.ok(found(ok, /a 100 for an HTTP\/1\.0 request/, { c: { ...c, version: 'HTTP/1.0' } }))
  t.ok(found('garbage\r\n\r\n', /malformed/, { closed: true }))
  t.ok(found('', /no final response and no close within/, { timedOut: true }))
  t.ok(found('', /ended without a final response or a close/))
  t.ok(found('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 415 Unsupported Media Type\r\ncontent-length: 0\r\n\r\n', /a 100 before 415, an answer decidable from the head/))
  t.ok(found('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n', /left open with its body unsent/, { leftOpen: true }))
  t.ok(found('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\nxyz', /bytes after the final response/))
  t.equal(parseResponses('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n').finalComplete, false, 'a body to the close is complete only at the close')
})
