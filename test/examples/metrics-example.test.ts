// examples/metrics-prometheus.js: counters fed by the `fastify-expect:decision`
// diagnostics channel. Synthetic messages check the counting; the end-to-end
// case sends real uploads to the example app and runs only once the plugin
// publishes on the channel (it detects that from a real refused upload).
import t from 'tap'
import diagnosticsChannel from 'node:diagnostics_channel'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { Registry } from 'prom-client'
import { buildMetricsApp, CHANNEL, countDecisions } from '../../examples/metrics-prometheus'
import { rawRequest, head } from '../helpers/raw-client'
import { MiB, TOKEN } from '../../examples/upload-app'
import { listenOnLoopback } from '../helpers/server'
import { trackConnections } from '../helpers/probe'

/** A counter's value for these labels in a registry (0 when never incremented). */
async function valueOf (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  const values = (metric as { values?: Array<{ value: number, labels: Record<string, string | number> }> } | undefined)?.values ?? []
  const found = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l) && Object.keys(v.labels).length === Object.keys(labels).length)
  return found?.value ?? 0
}

const publish = (message: Record<string, unknown>): void => {
  diagnosticsChannel.channel(CHANNEL).publish({ request: {}, response: {}, method: 'PUT', url: '/files/a.bin', ...message })
}

t.test('synthetic decisions are counted', async (t) => {
  const { registry, unsubscribe } = countDecisions(new Registry())
  t.teardown(unsubscribe)
  publish({ verdict: 'continued', reason: 'accepted', statusCode: 100, declaredLength: 1000 })
  publish({ verdict: 'refused', reason: 'hook', statusCode: 401, declaredLength: 10 * MiB })
  publish({ verdict: 'refused', reason: 'hook', statusCode: 401, declaredLength: 10 * MiB })
  publish({ verdict: 'refused', reason: 'body-limit', statusCode: 413, declaredLength: 2 * MiB })
  publish({ verdict: 'refused', reason: 'framing', statusCode: 400, declaredLength: undefined })
  publish({ verdict: 'expectation-failed', reason: 'expectation', statusCode: 417, declaredLength: 5 })
  publish({ verdict: 'ignored', reason: 'http/1.0', statusCode: 200, declaredLength: 7 })

  t.equal(await valueOf(registry, 'fastify_expect_decisions_total', { verdict: 'continued' }), 1)
  t.equal(await valueOf(registry, 'fastify_expect_decisions_total', { verdict: 'refused' }), 4)
  t.equal(await valueOf(registry, 'fastify_expect_decisions_total', { verdict: 'expectation-failed' }), 1)
  t.equal(await valueOf(registry, 'fastify_expect_decisions_total', { verdict: 'ignored' }), 1)
  t.equal(await valueOf(registry, 'fastify_expect_refusals_total', { reason: 'hook', status: '401' }), 2)
  t.equal(await valueOf(registry, 'fastify_expect_refusals_total', { reason: 'body-limit', status: '413' }), 1)
  t.equal(await valueOf(registry, 'fastify_expect_refusals_total', { reason: 'framing', status: '400' }), 1)
  t.equal(await valueOf(registry, 'fastify_expect_refusals_total', { reason: 'expectation', status: '417' }), 1, '417 counts as a refusal before the body')
  t.equal(await valueOf(registry, 'fastify_expect_bytes_not_received_total'), 22 * MiB + 5, 'declared lengths of refused requests only')

  unsubscribe()
  publish({ verdict: 'refused', reason: 'hook', statusCode: 401, declaredLength: 1 })
  t.equal(await valueOf(registry, 'fastify_expect_refusals_total', { reason: 'hook', status: '401' }), 2, 'nothing counted after unsubscribing')
})

t.test('GET /metrics shows the counters in the Prometheus text format', async (t) => {
  const app = buildMetricsApp()
  t.teardown(() => app.close())
  await app.ready()
  publish({ verdict: 'refused', reason: 'media-type', statusCode: 415, declaredLength: 3 * MiB })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(response.body, /^fastify_expect_refusals_total\{reason="media-type",status="415"\} 1$/m)
  t.match(response.body, /^fastify_expect_bytes_not_received_total 3145728$/m)
  t.match(response.body, /^fastify_expect_decisions_total\{verdict="refused"\} 1$/m)
  await app.close()
  publish({ verdict: 'refused', reason: 'media-type', statusCode: 415, declaredLength: 1 })
  t.equal(diagnosticsChannel.channel(CHANNEL).hasSubscribers, false, 'closing the app unsubscribes')
})

t.test('node examples/metrics-prometheus.js serves /metrics', async (t) => {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'examples', 'metrics-prometheus.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill() })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const found = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(output)
      if (found !== null) resolve(found[1] as string)
    })
    child.on('exit', (code) => reject(new Error(`exited (${code}) before printing its URL:\n${output}`)))
  })
  // Start-up warnings are logged before the app listens (logger: true, on stdout).
  t.notMatch(output, /declared before it loaded/, 'the plugin is registered before every route: no warning')
  const response = await fetch(url)
  t.equal(response.status, 200)
  t.match(await response.text(), /# TYPE fastify_expect_refusals_total counter/)
})

// END-TO-END: real uploads to the example app, counted from what the plugin publishes on
// `fastify-expect:decision` (a silent channel fails: the publisher is the plugin's own).
t.test('end to end: real uploads counted', async (t) => {
  const app = buildMetricsApp()
  const connections = trackConnections(app.server)
  const port = await listenOnLoopback(t, app)
  const seen: Array<Record<string, unknown>> = []
  const listener = (message: unknown): void => { seen.push(message as Record<string, unknown>) }
  diagnosticsChannel.subscribe(CHANNEL, listener)
  t.teardown(() => { diagnosticsChannel.unsubscribe(CHANNEL, listener) })

  // A refused expectation upload: no token, 10 MiB announced, the body never sent.
  const refused = await rawRequest({
    port,
    head: head('PUT /files/a.bin HTTP/1.1', { host: 'localhost', 'content-type': 'application/octet-stream', 'content-length': String(10 * MiB), expect: '100-continue' }),
    body: Buffer.alloc(10 * MiB)
  })
  t.equal(refused.status, 401, 'the app refuses before the body')
  t.equal(refused.bodyBytesSent, 0)
  // The request's lifetime is over once the server has closed its connection.
  await connections.allClosed()

  t.test('the publisher sends decisions', async (t) => {
    t.equal(seen.length, 1, 'one message on fastify-expect:decision for the refused expectation upload')
    t.match(seen, [{ verdict: 'refused', reason: 'hook', statusCode: 401, declaredLength: 10 * MiB, method: 'PUT', url: '/files/a.bin' }])
    const accepted = await rawRequest({
      port,
      head: head('PUT /files/b.bin HTTP/1.1', { host: 'localhost', authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': '1000', expect: '100-continue' }),
      body: Buffer.alloc(1000)
    })
    t.equal(accepted.status, 201)
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
    t.match(metrics, /^fastify_expect_refusals_total\{reason="hook",status="401"\} 1$/m)
    t.match(metrics, /^fastify_expect_bytes_not_received_total 10485760$/m)
    t.match(metrics, /^fastify_expect_decisions_total\{verdict="refused"\} 1$/m)
    t.match(metrics, /^fastify_expect_decisions_total\{verdict="continued"\} 1$/m)
  })
})
