// The proxy suite: the example upload app (with fastify-expect, and plain Fastify for comparison)
// behind a real proxy; curl uploads that the app refuses (20 MiB each, curl's automatic
// `Expect: 100-continue`); what each hop saw: the status curl read, the body bytes curl sent,
// the body bytes the app's sockets read, and whether `Expect` reached the app.
// `npm run proxies:record` writes the facts to results/proxies (the README's table: one recorded
// sample, dated; the figures of a loss vary from run to run, the assertions below do not).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, Server } from 'node:http'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildUploadApp, MiB, TOKEN } from '../../examples/upload-app'
import { findProgram, runProgram, tempDir } from './interop'
import { missing, startProxy, type ProxyVariant } from './proxies'
import { countBytesRead, listenOnLoopback } from './server'
import { missingTool, requireThat } from './tools'

export const PROXY_RESULTS_DIR = join(__dirname, '..', '..', 'results', 'proxies')
const RECORDING = process.env.PROXY_RECORD === '1'
const curl = findProgram('curl')

/** Tries per proxy and app: half unauthorized (401 from an onRequest hook), half too large (413). */
const TRIES = 8
const UPLOAD_BYTES = 20 * MiB
/** Below this, the app read request heads only (a proxy's heads are well under 16 KiB). */
const NO_BODY = 16 * 1024

const CASES = [
  { label: 'unauthorized', answered: 401, headers: ['-H', 'content-type: image/png'] },
  { label: 'too large (20 MiB > 1 MiB)', answered: 413, headers: ['-H', 'content-type: image/png', '-H', `authorization: ${TOKEN}`] }
] as const

/** One upload as each hop saw it. */
export interface Try {
  readonly answered: number
  /** The status curl read ('401'), or how it failed ('502', 'curl error 55'). */
  readonly reported: string
  /** Body bytes curl sent (`%{size_upload}`). */
  readonly clientSent: number
  /** Body bytes the app's sockets read (bytes read less the request heads). */
  readonly appRead: number
  /** Requests that reached the app, and how many of them carried `Expect: 100-continue`. */
  readonly appRequests: number
  readonly expectAtApp: number
}

export interface Tally {
  readonly tries: number
  /** status (or failure) curl reported -> count */
  readonly reported: Record<string, number>
  /** Refusals the client did not read: a proxy error (502/503) or a broken connection. */
  readonly lost: number
  readonly clientSentMax: number
  readonly clientSentMedian: number
  readonly appReadMax: number
  readonly appReadMedian: number
  /** Tries in which `Expect: 100-continue` reached the app. */
  readonly expectAtApp: number
}

export interface ProxyFacts {
  readonly id: string
  readonly proxy: string
  readonly version: string
  /** The day it was recorded (YYYY-MM-DD): the README's table is one dated sample. */
  readonly recorded: string
  readonly forwardsExpect: boolean
  readonly proxyContinue: ProxyVariant['proxyContinue']
  readonly uploadBytes: number
  readonly plugin: Tally
  readonly plain: Tally
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
export const isLost = (x: Try): boolean => x.reported !== String(x.answered)
/** How a refusal may be lost on the way: a proxy's own error (502, 503, 504) or a broken connection. */
const LOSS = /^(50[234]|curl error .*)$/

export function tally (tries: readonly Try[]): Tally {
  const reported: Record<string, number> = {}
  for (const x of tries) reported[x.reported] = (reported[x.reported] ?? 0) + 1
  return {
    tries: tries.length,
    reported,
    lost: tries.filter(isLost).length,
    clientSentMax: Math.max(0, ...tries.map((x) => x.clientSent)),
    clientSentMedian: median(tries.map((x) => x.clientSent)),
    appReadMax: Math.max(0, ...tries.map((x) => x.appRead)),
    appReadMedian: median(tries.map((x) => x.appRead)),
    expectAtApp: tries.filter((x) => x.expectAtApp > 0).length
  }
}

/** Node's parser keeps the request line and fields as sent, less one space after each colon. */
function headBytes (request: IncomingMessage): number {
  let size = Buffer.byteLength(`${request.method ?? ''} ${request.url ?? ''} HTTP/${request.httpVersion}\r\n\r\n`, 'latin1')
  for (let i = 0; i < request.rawHeaders.length; i += 2) size += Buffer.byteLength(`${request.rawHeaders[i] ?? ''}: ${request.rawHeaders[i + 1] ?? ''}\r\n`, 'latin1')
  return size
}

/** Resolves once `read()` has not changed for 300 ms (a proxy may still be forwarding after curl exits); 10 s at most. */
async function settled (read: () => number): Promise<void> {
  let last = read()
  let stableSince = Date.now()
  const end = Date.now() + 10_000
  while (Date.now() < end && Date.now() - stableSince < 300) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = read()
    if (now !== last) { last = now; stableSince = Date.now() }
  }
}

/** The app behind the proxy, TRIES refused uploads through it. */
async function uploadsThrough (t: Test, variant: ProxyVariant, withPlugin: boolean, file: string): Promise<{ tries: Try[], version: string }> {
  const app = buildUploadApp({ expect: withPlugin }) as unknown as FastifyInstance
  const count = countBytesRead(app.server)
  // Every request the app's Node server parsed, before any listener (the plugin's or Node's own 100).
  let seen: IncomingMessage[] = []
  const onStart = (message: unknown): void => {
    const { request, server } = message as { request: IncomingMessage, server: Server }
    if (server === app.server) seen.push(request)
  }
  subscribe('http.server.request.start', onStart)
  t.teardown(() => { unsubscribe('http.server.request.start', onStart) })
  const appPort = await listenOnLoopback(t, app)
  const proxy = await startProxy(t, variant, appPort)

  const tries: Try[] = []
  for (let i = 0; i < TRIES; i++) {
    const c = CASES[i % CASES.length] as (typeof CASES)[number]
    seen = []
    const before = count.bytesRead()
    const run = await runProgram(curl as string, [
      '-sS', '-o', '/dev/null', '-w', '%{http_code} %{size_upload}', '--max-time', '60',
      // Long enough that curl never gives up waiting on this machine: what it sends is what the hops told it.
      '--expect100-timeout', '10',
      '-T', file, ...c.headers, `http://127.0.0.1:${proxy.port}/files/big.png`
    ], { timeoutMs: 90_000 })
    await settled(count.bytesRead)
    const [status = '000', sent = '0'] = run.stdout.trim().split(' ')
    const heads = seen.reduce((sum, request) => sum + headBytes(request), 0)
    tries.push({
      answered: c.answered,
      reported: run.code === 0 && status !== '000' ? status : status !== '000' ? `curl error ${run.code ?? 'timeout'} after a ${status}` : `curl error ${run.code ?? 'timeout'}`,
      clientSent: Number(sent),
      appRead: Math.max(0, count.bytesRead() - before - heads),
      appRequests: seen.length,
      expectAtApp: seen.filter((request) => /100-continue/i.test(request.headers.expect ?? '')).length
    })
  }
  return { tries, version: proxy.version }
}

/** What each try must show, given what the proxy does with the expectation; and plain Fastify's, for comparison. */
function check (t: Test, variant: ProxyVariant, withPlugin: boolean, tries: readonly Try[]): void {
  t.equal(tries.length, TRIES, `${TRIES} tries`)
  for (const [i, x] of tries.entries()) {
    const what = `try ${i + 1} (${x.answered}): curl read ${x.reported}, sent ${x.clientSent} body bytes, the app read ${x.appRead}`
    // Never a success, nor any other status: the app's refusal, or one of the ways a proxy loses it.
    if (isLost(x)) t.match(x.reported, LOSS, `${what}: lost, as a proxy error or a broken connection`)
    else t.equal(x.reported, String(x.answered), `${what}: the refusal reached curl`)
    t.ok(x.appRequests <= 1, `${what}: the app saw the request at most once (${x.appRequests})`)
    if (variant.forwardsExpect) t.equal(x.expectAtApp, x.appRequests, `${what}: Expect reached the app`)
    else t.equal(x.expectAtApp, 0, `${what}: the proxy does not forward Expect`)
    // A proxy that answers 100 as it starts forwarding races the app's answer: what curl sends then varies (recorded).
    if (variant.proxyContinue === 'before forwarding') t.ok(x.clientSent > 0, `${what}: the proxy told curl to go on`)
    if (variant.proxyContinue === 'never' && withPlugin) {
      t.equal(x.reported, String(x.answered), `${what}: the refusal reached curl`)
      t.equal(x.appRequests, 1, `${what}: the request reached the app`)
      t.equal(x.clientSent, 0, `${what}: curl sent no body byte`)
      t.ok(x.appRead < NO_BODY, `${what}: the app read request heads only`)
    }
  }
  // Plain Fastify where the proxy relays the app's 100: Node sends it at once, before any hook, so
  // curl starts its body (the contrast the README's table shows). Whether it got far before the
  // refusal is a race per try; that it never did in 8 would mean Node no longer sends the early 100.
  if (variant.proxyContinue === 'never' && !withPlugin) {
    t.ok(tries.some((x) => x.clientSent > 0), `plain Fastify: curl sent body bytes after Node's early 100 (${tries.map((x) => x.clientSent).join(', ')})`)
  }
}

/** The suite for some proxies: each with and without the plugin; skipped, saying why, where a program is missing. */
export function proxySuite (t: Test, variants: readonly ProxyVariant[]): void {
  for (const variant of variants) {
    t.test(`${variant.program}: ${variant.name}`, async (t) => {
      if (!requireThat(t, missingTool('curl') ?? missing(variant))) return
      const file = join(tempDir(t), 'upload.bin')
      writeFileSync(file, Buffer.alloc(UPLOAD_BYTES, 7))
      const sides: Record<'plugin' | 'plain', { tries: Try[], version: string } | undefined> = { plugin: undefined, plain: undefined }
      for (const side of ['plugin', 'plain'] as const) {
        await t.test(side === 'plugin' ? 'with fastify-expect' : 'plain Fastify', async (t) => {
          const run = await uploadsThrough(t, variant, side === 'plugin', file)
          check(t, variant, side === 'plugin', run.tries)
          const summary = tally(run.tries)
          t.comment(`${run.version}: ${JSON.stringify(summary)}`)
          sides[side] = run
        })
      }
      if (RECORDING && t.passing() && sides.plugin !== undefined && sides.plain !== undefined) {
        record({
          id: variant.id,
          proxy: variant.name,
          version: sides.plugin.version,
          recorded: new Date().toISOString().slice(0, 10),
          forwardsExpect: variant.forwardsExpect,
          proxyContinue: variant.proxyContinue,
          uploadBytes: UPLOAD_BYTES,
          plugin: tally(sides.plugin.tries),
          plain: tally(sides.plain.tries)
        })
      }
    })
  }
}

function record (facts: ProxyFacts): void {
  mkdirSync(PROXY_RESULTS_DIR, { recursive: true })
  const file = join(PROXY_RESULTS_DIR, `${facts.id}.json`)
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(facts, null, 2) + '\n')
  renameSync(`${file}.${process.pid}.tmp`, file)
}
