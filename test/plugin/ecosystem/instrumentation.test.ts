// Tracing that wraps Fastify's hooks, the real packages, each set up as its docs
// say in a process of its own (most must load before fastify): the decision
// still runs after every onRequest hook of the route (auth), in both
// registration orders. What the client sees on the wire is asserted, and that
// the instrumentation really is at work in that process.
// Fixtures: test/fixtures/instrumentation/*.js (they require the built plugin).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { head, rawRequest, type RawExchange } from '../../helpers/raw-client'
import { requireThat } from '../../helpers/tools'

const repo = join(__dirname, '..', '..', '..')
const fixtures = join(__dirname, '..', '..', 'fixtures', 'instrumentation')
const MiB = 1024 * 1024

interface AppInfo { order: string, port: number, routes: string }
/** `skip`: the fixture could not load the package (helpers/tools.ts: a skip on a laptop, a failure in CI); `unsupported`: the set-up does not apply here. */
interface Started { apps?: AppInfo[], report?: Record<string, unknown>, skip?: string, unsupported?: string }
interface Accepted { user: string, received: number, evidence: { activeSpan?: Record<string, unknown> | null } }

interface SetUp {
  fixture: string
  title: string
  /** Why this set-up cannot run with the installed Fastify, if it cannot. */
  unsupported?: string
  /** Asserts that the instrumentation is at work: its report, the hooks as Fastify holds them, the span a handler saw. */
  active: (t: Test, started: Required<Pick<Started, 'apps' | 'report'>>, accepted: Accepted[]) => void
}

/** The onRequest hooks of PUT /upload in printRoutes' output, e.g. ['auth()']. */
function hooksOf (routes: string, hook: string): string[] {
  const lines = routes.split('\n')
  const from = lines.findIndex((l) => l.includes('/upload (PUT)'))
  const to = lines.findIndex((l, i) => i > from && l.includes('── '))
  const line = from === -1 ? undefined : lines.slice(from + 1, to === -1 ? undefined : to).find((l) => l.includes(`• (${hook})`))
  return line === undefined ? [] : JSON.parse(line.slice(line.indexOf('['))) as string[]
}

const FASTIFY_MAJOR = Number((require('fastify/package.json') as { version: string }).version.split('.')[0])

const SETUPS: SetUp[] = [
  {
    fixture: 'sentry.js',
    title: '@sentry/node, default init before fastify',
    active (t, { apps, report }) {
      t.equal(report.fastifyIntegration, true, 'Sentry\'s Fastify integration is installed')
      for (const app of apps) {
        t.notOk(hooksOf(app.routes, 'onRequest').includes('auth()'), `${app.order}: the auth hook is wrapped by Sentry`)
        t.ok(hooksOf(app.routes, 'onRequest').includes('handlerWrapped()'), `${app.order}: Sentry's wrapper is in the route's onRequest hooks`)
      }
    }
  },
  {
    fixture: 'fastify-otel-plugin.js',
    title: '@fastify/otel, its plugin registered before the routes',
    active (t, { apps, report }, accepted) {
      t.equal(report.enabled, true, 'the instrumentation is enabled')
      const [expectFirst, authFirst] = apps
      t.ok(hooksOf(expectFirst?.routes ?? '', 'onRequest').includes('handlerWrapped()'), 'expect-first: the auth hook is wrapped')
      t.same(hooksOf(authFirst?.routes ?? '', 'preParsing'), ['handlerWrapped()'], 'auth-first: fastify-expect\'s own preParsing hook is wrapped')
      for (const a of accepted) t.match(a.evidence.activeSpan, { scope: '@fastify/otel', recording: true }, 'the handler runs in a span of @fastify/otel')
    }
  },
  {
    fixture: 'fastify-otel-sdk.js',
    title: '@fastify/otel through the Node SDK (registerOnInitialization), with instrumentation-http',
    active (t, { apps, report }, accepted) {
      t.equal(report.enabled, true, 'the instrumentation is enabled')
      for (const app of apps) t.ok(hooksOf(app.routes, 'onRequest').includes('handlerWrapped()'), `${app.order}: the auth hook is wrapped`)
      for (const a of accepted) t.match(a.evidence.activeSpan, { scope: '@fastify/otel', recording: true }, 'the handler runs in a span of @fastify/otel')
    }
  },
  {
    fixture: 'otel-instrumentation-fastify.js',
    // Deprecated upstream in favour of @fastify/otel: it instruments Fastify below 6 only.
    unsupported: FASTIFY_MAJOR >= 6 ? `@opentelemetry/instrumentation-fastify instruments Fastify < 6 only (installed: Fastify ${FASTIFY_MAJOR})` : undefined,
    title: '@opentelemetry/instrumentation-fastify with instrumentation-http',
    active (t, { apps, report }, accepted) {
      t.equal(report.enabled, true, 'the instrumentation is enabled')
      for (const app of apps) t.notOk(hooksOf(app.routes, 'onRequest').includes('auth()'), `${app.order}: the auth hook is wrapped`)
      for (const a of accepted) t.match(a.evidence.activeSpan, { scope: '@opentelemetry/instrumentation-fastify', recording: true }, 'the handler runs in a span of instrumentation-fastify')
    }
  },
  {
    fixture: 'dd-trace.js',
    title: 'dd-trace, init() first',
    active (t, { apps }, accepted) {
      for (const app of apps) t.ok(hooksOf(app.routes, 'preValidation').includes('preValidation()'), `${app.order}: dd-trace's own hooks are on the route`)
      for (const a of accepted) t.match(a.evidence.activeSpan, { name: 'fastify.request', component: 'fastify' }, 'the handler runs in dd-trace\'s fastify span')
    }
  }
]

// The fixtures load the built plugin: every script that runs this file builds first (test:interop,
// the matrices). Building here would remove dist/ under the files that tap runs beside this one.
if (!existsSync(join(repo, 'dist', 'plugin', 'index.js'))) throw new Error('dist/plugin/index.js is missing: run npm run build')

/** Starts a fixture; resolves with the JSON line it prints. The process is ended when the test ends. */
function start (t: Test, fixture: string): Promise<Started> {
  // The packages' own settings from the environment (an endpoint, an API key) stay out: the fixtures set theirs.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(OTEL_|DD_|SENTRY_)/i.test(name)))
  const child = spawn(process.execPath, [join(fixtures, fixture)], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill() })
  return new Promise((resolve, reject) => {
    let output = ''
    let errors = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const end = output.indexOf('\n')
      if (end !== -1) resolve(JSON.parse(output.slice(0, end)) as Started)
    })
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString() })
    child.on('exit', (code) => { reject(new Error(`${fixture} exited (${code}) before starting:\n${output}${errors}`)) })
  })
}

const declared = (length: number): Record<string, string | number> => ({ 'content-type': 'application/octet-stream', 'content-length': length })
const FULL = { authorization: 'Bearer full' }
const EMPTY = { authorization: 'Bearer empty' }

function upload (port: number, path: string, headers: Record<string, string | number>, body: Buffer): Promise<RawExchange> {
  return rawRequest({ port, head: head(`PUT ${path} HTTP/1.1`, { host: 'localhost', expect: '100-continue', ...headers }), body, timeoutMs: 15_000 })
}

/** A final status before the body: no 100, not one body byte sent. */
function refused (t: Test, r: RawExchange, status: number, label: string): void {
  t.equal(r.status, status, label)
  t.same(r.informational, [], `${label}: no 100 before it`)
  t.equal(r.bodyBytesSent, 0, `${label}: no body byte sent`)
}

/** An upload that waits for the 100 and gets it, then the handler's answer. */
function accepted (t: Test, r: RawExchange, bytes: number, label: string): Accepted | undefined {
  t.same(r.informational, ['HTTP/1.1 100 Continue'], `${label}: 100 Continue`)
  t.equal(r.status, 200, `${label}: 200 (the check saw request.user)`)
  if (r.status !== 200) return undefined
  const answer = JSON.parse(r.body) as Accepted
  t.match(answer, { user: 'full', received: bytes }, `${label}: the handler got the whole body`)
  return answer
}

const small = Buffer.alloc(64 * 1024, 'a')
const large = Buffer.alloc(2 * MiB, 'b')

// All set-ups start at once (each loads its packages in its own process), then are tested in turn.
const starting = SETUPS.map((setUp) => {
  const started = setUp.unsupported !== undefined ? Promise.resolve({ unsupported: setUp.unsupported }) : start(t, setUp.fixture)
  started.catch(() => {}) // awaited, and so reported, in its own test
  return started
})

for (const [index, setUp] of SETUPS.entries()) {
  t.test(setUp.title, async (t) => {
    const started = await (starting[index] as Promise<Started>)
    if (started.unsupported !== undefined) {
      t.plan(0, `${setUp.title}: ${started.unsupported}`)
      return
    }
    if (!requireThat(t, started.skip === undefined ? undefined : `${setUp.title}: ${started.skip}`)) return
    const apps = started.apps ?? []
    t.same(apps.map((app) => app.order), ['expect-first', 'auth-first'], 'the app started in both orders')
    t.comment(`${setUp.fixture}: ${JSON.stringify(started.report)}`)
    const answers: Accepted[] = []
    for (const { order, port } of apps) {
      const ok = accepted(t, await upload(port, '/upload', { ...declared(small.length), ...FULL }, small), small.length, `${order}: valid upload with a token`)
      if (ok !== undefined) answers.push(ok)
      refused(t, await upload(port, '/upload', declared(small.length), small), 401, `${order}: no token`)
      refused(t, await upload(port, '/upload', { ...declared(small.length), ...EMPTY }, small), 403, `${order}: a token without quota (the check saw request.user)`)
      refused(t, await upload(port, '/upload', { ...declared(large.length), ...FULL }, large), 413, `${order}: over the route's bodyLimit`)
      refused(t, await upload(port, '/after-checks', declared(small.length), small), 401, `${order}: after-checks route, no token`)
      const after = accepted(t, await upload(port, '/after-checks', { ...declared(small.length), ...FULL }, small), small.length, `${order}: after-checks route with a token`)
      if (after !== undefined) answers.push(after)
    }
    setUp.active(t, { apps, report: started.report ?? {} }, answers)
  })
}
