// @ts-check
// The server of bench/admission.js, in a process of its own (so that its heap
// and RSS are its own): PUT /upload takes a body of up to 16 MiB in memory
// (Fastify's buffer parser, as most upload routes do) and then writes it to a
// "disk" shared by every upload at a fixed rate (a wait, the buffer held until
// it is written). argv[2]: the fastify-expect options, as JSON.
// It samples, every 50 ms, the bodies in flight (counted at the sockets: bytes
// past the head arrived, no answer finished yet), heapUsed and RSS; and it
// counts the body bytes received on connections whose request was refused.
'use strict'
const Fastify = require('fastify')
const fastifyExpect = require('..')

const options = JSON.parse(process.argv[2] ?? '{}')
const DISK_BYTES_PER_S = Number(process.env.DISK_BYTES_PER_S ?? 200 * 1024 * 1024)
const SAMPLE_MS = 50

async function main () {
  const app = Fastify({ bodyLimit: 16 * 1024 * 1024 })
  await app.register(fastifyExpect, options)
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })
  let diskFreeAt = 0
  app.put('/upload', async (request) => {
    const body = /** @type {Buffer} */ (request.body)
    const now = performance.now()
    diskFreeAt = Math.max(now, diskFreeAt) + (body.length / DISK_BYTES_PER_S) * 1000
    await new Promise((resolve) => setTimeout(resolve, diskFreeAt - now))
    return { stored: body.length }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })

  /** @type {Map<import('node:http').ServerResponse, { socket: import('node:net').Socket, head: number }>} */
  const open = new Map()
  let refusedBodyBytes = 0
  let refusedWithBody = 0
  /** @type {{ admitted: number[], busy: number[] }} */
  const waits = { admitted: [], busy: [] }
  require('node:diagnostics_channel').subscribe('fastify-expect:admission', (/** @type {any} */ m) => {
    if (m.event === 'admitted' || m.event === 'busy') waits[/** @type {'admitted' | 'busy'} */ (m.event)].push(m.waitMs)
  })
  let refused = 0
  let stored = 0
  app.server.on('request', (/** @type {import('node:http').IncomingMessage} */ request, /** @type {import('node:http').ServerResponse} */ response) => {
    const socket = request.socket
    const entry = { socket, head: socket.bytesRead }
    open.set(response, entry)
    const done = () => { open.delete(response) }
    response.once('finish', () => {
      done()
      if (response.statusCode < 400) { stored++; return }
      refused++
      // What the refused request's connection carried past its head, until it closed.
      const count = () => {
        const bytes = socket.bytesRead - entry.head
        refusedBodyBytes += bytes
        if (bytes > 0) refusedWithBody++
      }
      if (socket.destroyed) count(); else socket.once('close', count)
    })
    response.once('close', done)
  })

  const loop = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  let t0 = performance.now()
  /** @type {Array<{ t: number, inFlight: number, queued: number, heapUsed: number, rss: number }>} */
  const samples = []
  let peakHeap = 0
  let peakBuffers = 0
  let peakRss = 0
  let peakInFlight = 0
  let peakSlots = 0
  const timer = setInterval(() => {
    let inFlight = 0
    for (const { socket, head } of open.values()) if (socket.bytesRead > head) inFlight++
    const { heapUsed, rss, arrayBuffers } = process.memoryUsage()
    peakHeap = Math.max(peakHeap, heapUsed)
    peakBuffers = Math.max(peakBuffers, arrayBuffers)
    peakRss = Math.max(peakRss, rss)
    peakInFlight = Math.max(peakInFlight, inFlight)
    peakSlots = Math.max(peakSlots, app.expectAdmission.inUse)
    samples.push({ t: (performance.now() - t0) / 1000, inFlight, queued: app.expectAdmission.queued, heapUsed, rss })
  }, SAMPLE_MS)

  process.on('message', (/** @type {{ cmd: string }} */ message) => {
    if (message.cmd === 'start') {
      samples.length = 0
      t0 = performance.now()
      loop.reset()
      peakHeap = peakBuffers = peakRss = peakInFlight = peakSlots = refusedBodyBytes = refusedWithBody = refused = stored = 0
      waits.admitted.length = waits.busy.length = 0
      process.send?.({ ok: true })
    } else if (message.cmd === 'report') {
      clearInterval(timer)
      process.send?.({ samples, peakHeap, peakBuffers, peakRss, peakInFlight, peakSlots, refusedBodyBytes, refusedWithBody, refused, stored, waits, loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } })
    }
  })
  process.send?.({ port: /** @type {import('node:net').AddressInfo} */ (app.server.address()).port })
}

main().catch((error) => { console.error(error); process.exit(1) })
