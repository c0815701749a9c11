// curl, the program (interop suite, beside the other curl tests), uploading through a Fastify gateway (fastify-expect,
// @fastify/http-proxy with expectContinueHandler) to the example upload app.
// curl adds `Expect: 100-continue` by itself for bodies over 1 MiB and waits up to
// 1 s for the 100: the refusals below come from the upstream, and curl reports
// uploading nothing.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import httpProxy from '@fastify/http-proxy'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expectContinueHandler } from '../../gateway/index'
import { runCurl } from '../helpers/curl'
import { requireTool } from '../helpers/tools'
import { startGateway, startUpstream, TOKEN, type Hop } from '../helpers/gateway'
import { expectPlugin, MiB, until } from '../helpers/server'

async function hops (t: Test): Promise<{ gateway: Hop, upstream: Hop }> {
  const upstream = await startUpstream(t)
  const app = Fastify({ bodyLimit: 64 * MiB })
  await app.register(expectPlugin)
  app.register(httpProxy, { upstream: upstream.origin, prefix: '/api', handler: expectContinueHandler({ upstream: upstream.origin }) })
  return { gateway: await startGateway(t, app), upstream }
}

function file (t: Test, bytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-expect-gateway-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, `${bytes}.bin`)
  writeFileSync(path, Buffer.alloc(bytes, 9))
  return path
}

t.test('curl through the gateway', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const big = file(t, 2 * MiB)
  for (const c of [
    { label: 'no token', args: ['-H', 'content-type: application/octet-stream'], status: 401 },
    { label: 'over the 1 MiB route limit', args: ['-H', 'content-type: application/octet-stream', '-H', `authorization: ${TOKEN}`], status: 413 },
    { label: 'media type not accepted', args: ['-H', 'content-type: application/pdf', '-H', `authorization: ${TOKEN}`], status: 415 }
  ]) {
    t.test(`${c.label}: ${c.status} before the body, on both hops`, async (t) => {
      const { gateway, upstream } = await hops(t)
      const r = await runCurl([...c.args, '-T', big, `${gateway.origin}/api/files/big.bin`])
      t.equal(r.status, c.status, 'curl read the upstream\'s status')
      t.notOk(r.continued, 'no 100')
      t.equal(r.uploaded, 0, 'curl uploaded no body byte')
      await until(t, 'gateway connections closed', () => gateway.count.open.size === 0)
      await until(t, 'upstream connections closed', () => upstream.count.open.size === 0)
      t.equal(gateway.count.bodyBytes(), 0, 'hop 1: no body byte')
      t.equal(upstream.count.bodyBytes(), 0, 'hop 2: no body byte')
    })
  }

  t.test('accepted: the upstream\'s 100, then the body on both hops', async (t) => {
    const { gateway, upstream } = await hops(t)
    const small = file(t, 512 * 1024)
    // Below 1 MiB curl asks only when told to.
    const r = await runCurl(['-H', 'expect: 100-continue', '-H', 'content-type: application/octet-stream', '-H', `authorization: ${TOKEN}`, '-T', small, `${gateway.origin}/api/files/small.bin`])
    t.equal(r.status, 201)
    t.ok(r.continued, 'curl got a 100')
    t.equal(r.uploaded, 512 * 1024)
    t.same(JSON.parse(r.body), { name: 'small.bin', bytes: 512 * 1024 })
    t.equal(upstream.count.bodyBytes(), 512 * 1024, 'the upstream read the body once')
    t.equal(gateway.count.bodyBytes(), 512 * 1024, 'so did the gateway')
  })
})
