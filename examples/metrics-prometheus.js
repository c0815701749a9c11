// @ts-check
// Prometheus counters for fastify-expect's decisions, on /metrics.
//
//   npm run build && node examples/metrics-prometheus.js
//
// fastify-expect publishes every decision on the diagnostics_channel
// `fastify-expect:decision` (the way Fastify, undici and OpenTelemetry publish
// theirs); this example subscribes and counts with prom-client:
// - fastify_expect_decisions_total{verdict}: continued, refused, expectation-failed, ignored;
// - fastify_expect_refusals_total{reason,status}: final statuses sent before the body
//   (refusals and 417s), e.g. reason="hook",status="401" or reason="body-limit",status="413";
// - fastify_expect_bytes_not_received_total: the Content-Length those refused requests
//   declared, i.e. upload bytes the clients never had to send.
// The counters go to a registry of your choice (prom-client's global `register` by default
// in your own app: `countDecisions(client.register)`); here, to the example's own registry.
'use strict'
const diagnosticsChannel = require('node:diagnostics_channel')
const client = require('prom-client')
const { buildUploadApp, TOKEN } = require('./upload-app')

const CHANNEL = 'fastify-expect:decision'

/**
 * What fastify-expect publishes for each decision (request and response are Node's raw objects).
 * @typedef {object} DecisionMessage
 * @property {import('node:http').IncomingMessage} request
 * @property {import('node:http').ServerResponse} response
 * @property {'continued' | 'refused' | 'expectation-failed' | 'ignored'} verdict
 * @property {string} reason e.g. 'body-limit', 'media-type', 'headers', 'check', 'hook', 'expectation', 'framing'
 * @property {number} statusCode the final status, or 100 when continued
 * @property {number | undefined} declaredLength the Content-Length, when there is one
 * @property {string} method
 * @property {string} url
 */

/**
 * Subscribes to fastify-expect's decisions and counts them in `registry`.
 * @param {client.Registry} [registry]
 * @returns {{ registry: client.Registry, unsubscribe: () => void }}
 */
function countDecisions (registry = new client.Registry()) {
  const decisions = new client.Counter({
    name: 'fastify_expect_decisions_total',
    help: 'Decisions fastify-expect took on requests with a body to decide, by verdict',
    labelNames: ['verdict'],
    registers: [registry]
  })
  const refusals = new client.Counter({
    name: 'fastify_expect_refusals_total',
    help: 'Requests answered with a final status before their body (refusals and 417), by reason and status',
    labelNames: ['reason', 'status'],
    registers: [registry]
  })
  const bytesNotReceived = new client.Counter({
    name: 'fastify_expect_bytes_not_received_total',
    help: 'Body bytes declared (Content-Length) by requests refused before their body: bytes clients did not send',
    registers: [registry]
  })
  /** @param {unknown} message */
  const onDecision = (message) => {
    const decision = /** @type {DecisionMessage} */ (message)
    decisions.inc({ verdict: String(decision.verdict) })
    if (decision.verdict !== 'refused' && decision.verdict !== 'expectation-failed') return
    refusals.inc({ reason: String(decision.reason), status: String(decision.statusCode) })
    if (typeof decision.declaredLength === 'number' && decision.declaredLength > 0) bytesNotReceived.inc(decision.declaredLength)
  }
  diagnosticsChannel.subscribe(CHANNEL, onDecision)
  return { registry, unsubscribe: () => { diagnosticsChannel.unsubscribe(CHANNEL, onDecision) } }
}

const ADMISSION_CHANNEL = 'fastify-expect:admission'

/**
 * Upload slots (fastify-expect's `maxConcurrentUploads`), in `registry`:
 * - fastify_expect_upload_slots_in_use, fastify_expect_upload_slots_queued, fastify_expect_upload_slots_limit:
 *   gauges read from `app.expectAdmission` at each scrape (the server's slots);
 * - fastify_expect_admission_wait_seconds{outcome}: a histogram of how long requests waited for a slot,
 *   outcome="admitted" (0 when one was free) or "busy" (refused with 503 after admissionTimeout),
 *   from the `fastify-expect:admission` diagnostics channel.
 * @param {import('fastify').FastifyInstance} app
 * @param {client.Registry} [registry]
 * @returns {{ registry: client.Registry, unsubscribe: () => void }}
 */
function countAdmission (app, registry = new client.Registry()) {
  /** @type {Array<['inUse' | 'queued' | 'limit', string, string]>} */
  const gauges = [
    ['inUse', 'fastify_expect_upload_slots_in_use', 'Request bodies being received now (upload slots taken)'],
    ['queued', 'fastify_expect_upload_slots_queued', 'Requests waiting for an upload slot'],
    ['limit', 'fastify_expect_upload_slots_limit', 'maxConcurrentUploads (0: no server-wide limit)']
  ]
  for (const [field, name, help] of gauges) {
    // eslint-disable-next-line no-new -- registered in `registry`
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect () { this.set(app.expectAdmission?.[field] ?? 0) }
    })
  }
  const waits = new client.Histogram({
    name: 'fastify_expect_admission_wait_seconds',
    help: 'Time requests waited for an upload slot, by outcome (admitted, busy)',
    labelNames: ['outcome'],
    buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5],
    registers: [registry]
  })
  /** @param {unknown} message */
  const onAdmission = (message) => {
    const { event, waitMs } = /** @type {{ event: string, waitMs: number }} */ (message)
    if (event === 'admitted' || event === 'busy') waits.observe({ outcome: event }, waitMs / 1000)
  }
  diagnosticsChannel.subscribe(ADMISSION_CHANNEL, onAdmission)
  return { registry, unsubscribe: () => { diagnosticsChannel.unsubscribe(ADMISSION_CHANNEL, onAdmission) } }
}

/**
 * The example upload app (examples/upload-app.js) with GET /metrics.
 * @param {Parameters<typeof buildUploadApp>[0]} [options]
 */
function buildMetricsApp (options = {}) {
  const app = buildUploadApp(options)
  const { registry, unsubscribe } = countDecisions()
  const admission = countAdmission(/** @type {import('fastify').FastifyInstance} */ (/** @type {unknown} */ (app)), registry)
  // In a plugin of its own, as the upload app's routes: it is then declared after
  // fastify-expect has loaded (a route added to the root here, before ready, would
  // come before it, and the plugin would warn that it cannot apply that route's rules).
  app.register(async function metrics (app) {
    app.get('/metrics', async (request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    })
  })
  app.addHook('onClose', async () => { unsubscribe(); admission.unsubscribe() })
  return app
}

module.exports = { countDecisions, countAdmission, buildMetricsApp, CHANNEL, ADMISSION_CHANNEL }

if (require.main === module) {
  // MAX_UPLOADS: upload slots (maxConcurrentUploads), for the slot gauges and the wait histogram.
  const app = buildMetricsApp({ logger: true, expectOptions: { maxConcurrentUploads: Number(process.env.MAX_UPLOADS ?? 8) } })
  app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' }).then((address) => {
    console.log(`metrics: ${address}/metrics`)
    console.log('make a 10 MiB file: head -c 10485760 /dev/zero > /tmp/10m.bin (curl adds Expect: 100-continue above 1 MiB)')
    console.log(`a refused upload (no token): curl -T /tmp/10m.bin -H 'content-type: application/octet-stream' ${address}/files/a.bin`)
    console.log(`an accepted one: curl -T /etc/hostname -H 'authorization: ${TOKEN}' -H 'content-type: application/octet-stream' -H 'expect: 100-continue' ${address}/files/b.txt`)
    console.log(`then: curl -s ${address}/metrics | grep fastify_expect`)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
