// The runtime is told apart from process.versions and the Deno global; Bun and
// Deno get one warning saying what differs, Node none.
import t from 'tap'
import { detectRuntime, runtimeWarning } from '../../../plugin/internals/runtime'

const node = { ...process.versions, node: '22.1.0' }

t.test('detectRuntime', async (t) => {
  t.same(detectRuntime(node, {}), { name: 'node', version: '22.1.0' })
  t.same(detectRuntime({ ...node, bun: '1.4.4' } as NodeJS.ProcessVersions, {}), { name: 'bun', version: '1.4.4' }, 'Bun fills versions.node too')
  t.same(detectRuntime({ ...node, deno: '2.9.6' } as NodeJS.ProcessVersions, { Deno: { version: { deno: '2.9.6' } } }), { name: 'deno', version: '2.9.6' })
  t.same(detectRuntime(node, { Deno: {} }), { name: 'deno', version: 'unknown' }, 'a Deno global without a version')
  t.equal(detectRuntime().name, 'node', 'this process')
})

t.test('runtimeWarning', async (t) => {
  t.equal(runtimeWarning({ name: 'node', version: '20.0.0' }), undefined)
  t.match(runtimeWarning({ name: 'bun', version: '1.4.4' }), /^fastify-expect runs on Bun 1\.4\.4: .*staged close .* does not take effect.*a refusal from a hook .* keeps the connection open/)
  const deno = runtimeWarning({ name: 'deno', version: '2.9.6' })
  t.match(deno, /^fastify-expect runs on Deno 2\.9\.6: .*a refusal from a hook .* keeps the connection open/)
  t.notMatch(deno, /staged close/, 'the staged close works on Deno')
})
