// The example app behind nginx (Debian's package), with and without fastify-expect: see helpers/proxy-run.ts.
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildUploadApp, MiB } from '../../examples/upload-app'
import { PROXIES, missing, startProxy } from '../helpers/proxies'
import { proxySuite } from '../helpers/proxy-run'
import { findProgram, runProgram, tempDir } from '../helpers/interop'
import { listenOnLoopback } from '../helpers/server'

proxySuite(t, PROXIES.nginx)

// nginx's defaults (request buffering on, HTTP/1.0 to the upstream): nginx answers the
// 100 itself, sends the app the head, then the body as curl sends it. The app's 401
// comes from an onRequest hook before the body; Node then closes a connection that
// carries no keep-alive while nginx still writes the body: without a staged close
// the kernel resets it, and nginx reports 502 instead of the refusal.
const curl = findProgram('curl')
const [buffered] = PROXIES.nginx
const TRIES = 12
const skip = curl === undefined ? 'curl is not installed (CI installs it: .ci/run)' : missing(buffered as (typeof PROXIES.nginx)[number])
t.test('nginx defaults: every onRequest 401 to a 50 MB upload reaches the client', { skip: skip ?? false }, async (t) => {
  const file = join(tempDir(t), 'upload.bin')
  writeFileSync(file, Buffer.alloc(50 * MiB, 7))
  const app = buildUploadApp({ expect: true }) as unknown as FastifyInstance
  const proxy = await startProxy(t, buffered as (typeof PROXIES.nginx)[number], await listenOnLoopback(t, app))
  const reported: string[] = []
  for (let i = 0; i < TRIES; i++) {
    const run = await runProgram(curl as string, ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '60', '-T', file,
      '-H', 'content-type: image/png', `http://127.0.0.1:${proxy.port}/files/big.png`], { timeoutMs: 90_000 })
    reported.push(run.stdout.trim())
  }
  t.comment(`curl read: ${reported.join(' ')}`)
  t.same(reported, Array(TRIES).fill('401'), `${TRIES} of ${TRIES} refusals read, none lost`)
})
