// Bun and Deno as runtimes: the app of app.mjs (Fastify with the built plugin)
// runs under each (and under this Node, for comparison), driven from Node over
// real sockets: the decision table's essentials (refusals before the body, with
// 0 body bytes sent; 100 then 200 for accepted uploads), connection safety (bytes
// after a refusal are never read as a request; pipelining), and the differences
// the README states (a hook's refusal keeps the connection open; on Bun, clients
// that send a large body without waiting sometimes lose the refusal).
// The runtimes come from BUN / DENO (paths to the binaries) or the PATH; .ci/run
// installs pinned versions from the npm registry. Missing: a skip on a laptop, a
// failure when CI=true.
import t, { type Test } from 'tap'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { join, resolve } from 'node:path'
import { openConnection } from '../helpers/server'
import { head, rawRequest } from '../helpers/raw-client'
import { parseResponses } from '../helpers/responses'

const repo = resolve(__dirname, '..', '..')
const app = join(__dirname, 'app.mjs')

interface Runtime { name: 'node' | 'bun' | 'deno', bin: string | undefined, args: string[] }

function which (name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const runtimes: Runtime[] = [
  { name: 'node', bin: process.execPath, args: [app] },
  { name: 'bun', bin: process.env.BUN ?? which('bun'), args: [app] },
  { name: 'deno', bin: process.env.DENO ?? which('deno'), args: ['run', '-A', '--no-lock', app] }
]

interface Started { port: number, child: ChildProcess, version: string }

/** Starts app.mjs under a runtime; resolves with the port it printed. Stopped when the test ends. */
async function start (t: Test, runtime: Runtime & { bin: string }): Promise<Started> {
  const version = execFileSync(runtime.bin, runtime.name === 'deno' ? ['--version'] : ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? ''
  const child = spawn(runtime.bin, runtime.args, { cwd: repo, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill() })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port)
    })
    child.on('exit', (code) => { reject(new Error(`${runtime.name} exited (${code}) before listening: ${stderr}`)) })
  })
  return { port, child, version }
}

/** What the app ran, and its start-up warnings. */
async function state (port: number): Promise<{ count: number, ran: string[], warnings: string[] }> {
  const response = await fetch(`http://127.0.0.1:${port}/ran`)
  return await response.json() as { count: number, ran: string[], warnings: string[] }
}

/** A raw connection: write, wait for responses or for the server to close (each wait bounded). */
async function connection (port: number) {
  const { socket, received, closed } = await openConnection(port, { allowHalfOpen: true })
  // The server's FIN (we keep our side open, so that a server that keeps the connection can).
  let ended = false
  socket.on('end', () => { ended = true })
  const until = async (check: () => boolean, bound = 5000): Promise<void> => {
    const end = Date.now() + bound
    while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return {
    socket,
    write: (data: string) => new Promise<void>((resolve) => { socket.write(data, () => resolve()) }),
    responses: () => parseResponses(received()).responses,
    finals: async (count: number) => { await until(() => parseResponses(received()).responses.filter((r) => r.status >= 200).length >= count) },
    /** Waits (bounded) for the server to end or reset the connection: true if it did. */
    closedByServer: async (bound: number) => {
      await until(() => ended || closed(), bound)
      return ended || closed()
    },
    end: () => { socket.destroy() }
  }
}

const json = JSON.stringify({ name: 'cat.png' })
const smuggled = (n: number): string => Array(n).fill(head('GET /count HTTP/1.1', { host: 'x' })).join('')

const refusals: Array<{ name: string, path: string, headers: Record<string, string | number>, status: number }> = [
  { name: '413 (bodyLimit)', path: '/upload', headers: { 'content-type': 'application/json', 'content-length': 5000 }, status: 413 },
  { name: '415 (contentTypes)', path: '/upload', headers: { 'content-type': 'text/plain', 'content-length': json.length }, status: 415 },
  { name: '401 (onRequest hook)', path: '/echo', headers: { 'content-type': 'application/json', 'content-length': json.length, authorization: 'no' }, status: 401 },
  { name: '404 (no route)', path: '/nowhere', headers: { 'content-type': 'application/json', 'content-length': json.length }, status: 404 },
  { name: '417 (unknown expectation)', path: '/echo', headers: { 'content-type': 'application/json', 'content-length': json.length, expect: 'x-fast' }, status: 417 }
]

for (const runtime of runtimes) {
  const missing = runtime.bin === undefined ? `${runtime.name} not found (set ${runtime.name.toUpperCase()} or put it on the PATH)` : false
  t.test(runtime.name, { skip: process.env.CI === 'true' ? false : missing }, async (t) => {
    const { bin } = runtime
    if (bin === undefined) {
      t.fail(`${missing}: the runtimes are required in CI`)
      return
    }
    const { port, version } = await start(t, { ...runtime, bin })
    t.comment(`${runtime.name}: ${version}`)

    t.test('decision table essentials: refusals before the body, 0 body bytes sent', async (t) => {
      for (const r of refusals) {
        const result = await rawRequest({
          port,
          head: head(`POST ${r.path} HTTP/1.1`, { host: 'x', expect: '100-continue', ...r.headers }),
          body: 'x'.repeat(Number(r.headers['content-length'])),
          timeoutMs: 5000
        })
        t.equal(result.status, r.status, `${r.name}: the status`)
        t.same(result.informational, [], `${r.name}: no 100 before it`)
        t.equal(result.bodyBytesSent, 0, `${r.name}: the client sent no body byte`)
      }
      const accepted = await rawRequest({
        port,
        head: head('POST /upload HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': json.length }),
        body: json,
        timeoutMs: 5000
      })
      t.same(accepted.informational, ['HTTP/1.1 100 Continue'], 'accepted upload: a 100 first')
      t.equal(accepted.status, 200, 'then 200')
      t.equal(accepted.bodyBytesSent, json.length, 'after the whole body')
      t.match(accepted.body, json, 'the body the route parsed')
    })

    t.test('connection safety: bytes after a refusal are never read as a request', async (t) => {
      const body = smuggled(50) // 1,600 bytes: over /upload's bodyLimit too
      const stayedOpen: string[] = []
      for (const r of refusals) {
        const requestHead = head(`POST ${r.path} HTTP/1.1`, { host: 'x', expect: '100-continue', ...r.headers, 'content-length': body.length })
        for (const how of ['after the answer', 'at once'] as const) {
          const c = await connection(port)
          if (how === 'at once') await c.write(requestHead + body)
          else {
            await c.write(requestHead)
            await c.finals(1)
            await c.write(body)
          }
          // The server closes, or (a hook's refusal on Bun and Deno) reads the body as body and
          // keeps the connection: either way, nothing more comes back.
          const closed = await c.closedByServer(1500)
          if (!closed) stayedOpen.push(`${r.name}, ${how}`)
          t.same(c.responses().map((x) => x.status), [r.status], `${r.name}, ${how}: one answer, the refusal, and nothing else`)
          c.end()
        }
      }
      t.equal((await state(port)).count, 0, 'GET /count never ran')
      t.comment(`${runtime.name}: connections left open after the refusal: ${stayedOpen.length === 0 ? 'none' : stayedOpen.join('; ')}`)
      if (runtime.name === 'node') t.same(stayedOpen, [], 'Node: every refused connection closes')
      else t.ok(stayedOpen.every((name) => name.startsWith('401')), 'only a hook\'s refusal may keep the connection (its body read as body)')
    })

    t.test('pipelining behind an expectation', async (t) => {
      const upload = head('POST /echo HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'application/json', 'content-length': json.length })
      const next = head('GET /a HTTP/1.1', { host: 'x' }) + head('GET /b HTTP/1.1', { host: 'x' })
      const before = (await state(port)).ran.length
      const eager = await connection(port)
      await eager.write(upload + json + next)
      await eager.finals(3)
      t.same(eager.responses().filter((r) => r.status >= 200).map((r) => [r.status, r.body]), [[200, json], [200, 'a'], [200, 'b']], 'accepted: the three answers, in order')
      t.ok(eager.responses().filter((r) => r.status === 100).length <= 1, 'at most one 100')
      eager.end()
      const refused = head('POST /upload HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': json.length })
      const c = await connection(port)
      await c.write(refused + json + next)
      await c.closedByServer(1500)
      t.same(c.responses().map((r) => r.status), [415], 'refused: only the refusal')
      c.end()
      t.same((await state(port)).ran.slice(before), ['a', 'b'], 'the requests behind the refusal never ran')
    })

    t.test('clients that send 20 MiB without waiting for the 100', async (t) => {
      // Measured, not bounded: each client gets the 413, or (where the runtime cannot keep
      // reading after the answer: Bun) a reset; never anything else. 5 rounds of 10 at once,
      // with and without Expect (Fastify's own 413 by Content-Length closes in stages too).
      const body = Buffer.alloc(20 * 1024 * 1024, 'x')
      const send = (expect: boolean): Promise<string> => new Promise<string>((resolve) => {
        const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': body.length }
        if (expect) headers.expect = '100-continue'
        const request = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/big', headers, agent: false })
        request.on('response', (response) => { response.resume(); resolve(String(response.statusCode)) })
        request.on('error', (error: NodeJS.ErrnoException) => { resolve(error.code ?? 'error') })
        request.end(body)
      })
      for (const expect of [true, false]) {
        const outcomes: Record<string, number> = {}
        for (let round = 0; round < 5; round++) {
          for (const outcome of await Promise.all(Array.from({ length: 10 }, () => send(expect)))) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
        }
        const label = expect ? 'with Expect' : 'without Expect'
        t.comment(`${runtime.name}, ${label}: ${JSON.stringify(outcomes)} of 50`)
        t.ok(Object.keys(outcomes).every((outcome) => ['413', 'EPIPE', 'ECONNRESET'].includes(outcome)), `${label}: a 413 or a reset, nothing else`, { outcomes })
        if (runtime.name !== 'bun') t.same(outcomes, { 413: 50 }, `${label}: every client reads the 413 (the staged close)`)
      }
    })

    t.test('start-up warnings', async (t) => {
      const { warnings } = await state(port)
      const runtimeWarnings = warnings.filter((message) => message.includes('runs on'))
      t.comment(`${runtime.name}: ${JSON.stringify(runtimeWarnings)}`)
      if (runtime.name === 'node') t.same(runtimeWarnings, [], 'none on Node')
      else t.equal(runtimeWarnings.length, 1, `one warning saying what differs on ${runtime.name}`)
    })
  })
}
