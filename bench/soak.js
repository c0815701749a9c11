// @ts-check
// Soak: the connection attacks of the hardening work, all at once, with normal
// traffic, against one server process with the plugin (HTTP/1.1 and h2c), for a
// bounded time. Reports the server's heap and RSS (after a full GC), its open
// sockets and its event-loop delay, before, during and after, as a table.
//   node bench/soak.js [--seconds=150]       (npm run build first)
// "Longest half-closed": so far, the longest time a socket stayed
// open after the server closed its write side (staged close; bounded by the
// server's connectionTimeout of 1.5 s here, lingerTimeout 5 s).
// Attacks: a flood pipelined behind a slow request and an expectation request;
// chained expectation uploads in one write; refused uploads left idle (staged
// close vs connectionTimeout); h2 clients that keep sending after a refusal;
// Transfer-Encoding not ending in chunked. Loopback only; every loop is bounded.
'use strict'
const { fork } = require('node:child_process')
const net = require('node:net')
const http2 = require('node:http2')
const { head } = require('../test/helpers/raw-client')

const SECONDS = Number(process.argv.find((a) => a.startsWith('--seconds='))?.split('=')[1] ?? 150)
const deadline = Date.now() + SECONDS * 1000
const running = () => Date.now() < deadline
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---- server (child process) ----
function runServer () {
  const Fastify = require('fastify')
  const fastifyExpect = require('..')
  const { monitorEventLoopDelay } = require('node:perf_hooks')
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  /** @param {import('fastify').FastifyInstance} app */
  const routes = (app) => {
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-token'] === 'bad') return reply.code(401).send({ error: 'who are you' })
    })
    app.get('/slow', async () => { await sleep(2000); return 'slow' })
    app.get('/ping', async () => 'pong')
    app.put('/small', { bodyLimit: 64 * 1024 }, async () => 'never')
    app.put('/up', async (request) => ({ got: String(request.body).length }))
  }
  /** @type {import('fastify').FastifyInstance[]} */
  const apps = /** @type {any[]} */ ([Fastify({ connectionTimeout: 1500, requestTimeout: 10_000 }), Fastify({ http2: true, connectionTimeout: 1500 })])
  let bytesRead = 0
  // From the server closing its write side to the socket's close: how long it lingered.
  let halfClosedMax = 0
  /** @type {Set<import('node:net').Socket>} */
  const open = new Set()
  const start = async () => {
    for (const app of apps) {
      await app.register(fastifyExpect)
      routes(app)
      app.server.on('connection', (/** @type {import('node:net').Socket} */ socket) => {
        open.add(socket)
        socket.on('close', () => { bytesRead += socket.bytesRead; open.delete(socket) })
        socket.once('finish', () => {
          const since = Date.now()
          socket.once('close', () => { halfClosedMax = Math.max(halfClosedMax, Date.now() - since) })
        })
      })
      await app.listen({ port: 0, host: '127.0.0.1' })
    }
    process.send?.({ ports: apps.map((app) => /** @type {import('node:net').AddressInfo} */ (app.server.address()).port) })
  }
  process.on('message', (/** @type {any} */ message) => {
    if (message !== 'sample') return
    /** @type {any} */ (global).gc()
    const m = process.memoryUsage()
    process.send?.({
      heapUsed: m.heapUsed,
      rss: m.rss,
      sockets: open.size,
      delayP99: delay.percentile(99) / 1e6,
      delayMax: delay.max / 1e6,
      halfClosedMax,
      bytesRead: bytesRead + [...open].reduce((sum, s) => sum + s.bytesRead, 0)
    })
    delay.reset()
  })
  start().catch((err) => { console.error(err); process.exit(1) })
}

// ---- load (parent) ----
const counts = { normalOk: 0, normalFailed: 0, floods: 0, chainedOk: 0, chainedStalled: 0, idleRefused: 0, h2Refused: 0, framing400: 0, framingOther: 0 }

/** @returns {Promise<{ socket: net.Socket, received: () => string, closed: Promise<void> }>} */
function connect (/** @type {number} */ port, allowHalfOpen = false) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen })
    let data = ''
    socket.on('data', (chunk) => { data += chunk.toString('latin1') })
    socket.on('error', () => {})
    const closed = new Promise((resolve) => socket.once('close', () => resolve(undefined)))
    socket.once('connect', () => resolve({ socket, received: () => data, closed }))
    socket.once('error', reject)
  })
}

/** Polls `check` until true or `ms` passed. */
async function within (/** @type {number} */ ms, /** @type {() => boolean} */ check) {
  const end = Date.now() + ms
  while (Date.now() < end) { if (check()) return true; await sleep(10) }
  return check()
}

const ping = head('GET /ping HTTP/1.1', { host: 'x' })

async function normal (/** @type {number} */ port) {
  while (running()) {
    const c = await connect(port)
    for (let i = 0; i < 50 && running(); i++) {
      const before = c.received().length
      const body = 'x'.repeat(1000)
      c.socket.write(head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': body.length }))
      const continued = await within(5000, () => c.received().includes('100 Continue', before))
      if (continued) c.socket.write(body + ping)
      const ok = continued && await within(5000, () => c.received().indexOf('pong', before) !== -1)
      if (ok) counts.normalOk++; else { counts.normalFailed++; break }
    }
    c.socket.destroy()
  }
}

async function flood (/** @type {number} */ port) {
  const chunk = Buffer.from(ping.repeat(2048))
  while (running()) {
    const c = await connect(port)
    // The server's connectionTimeout (1.5 s) ends each: a held connection reads nothing.
    counts.floods++
    c.socket.write(head('GET /slow HTTP/1.1', { host: 'x' }) + head('GET /ping HTTP/1.1', { host: 'x', expect: '100-continue' }) + ping.repeat(2000))
    const end = Math.min(deadline, Date.now() + 8000)
    while (Date.now() < end && !c.socket.destroyed) {
      if (!c.socket.write(chunk)) {
        /** @type {() => void} */
        let onDrain = () => {}
        await Promise.race([new Promise((resolve) => { onDrain = () => resolve(undefined); c.socket.once('drain', onDrain) }), sleep(500)])
        c.socket.removeListener('drain', onDrain)
      }
    }
    c.socket.destroy()
  }
}

async function chained (/** @type {number} */ port) {
  const upload = head('PUT /up HTTP/1.1', { host: 'x', expect: '100-continue', 'content-type': 'text/plain', 'content-length': 5 }) + 'hello'
  while (running()) {
    const c = await connect(port)
    c.socket.write(upload + upload + ping)
    if (await within(5000, () => c.received().includes('pong'))) counts.chainedOk++; else counts.chainedStalled++
    c.socket.destroy()
  }
}

async function idleRefused (/** @type {number} */ port) {
  while (running()) {
    // Keeps its side open after the server's FIN: only the server can end it.
    const c = await connect(port, true)
    c.socket.write(head('PUT /small HTTP/1.1', { host: 'x', 'content-type': 'application/json', 'content-length': 1024 * 1024 }) + '{"a":')
    counts.idleRefused++
    // Idle after the answer, longer than the server's lingerTimeout (5 s): the server
    // must close it at its connectionTimeout (1.5 s); see "longest half-closed" below.
    await sleep(7000)
    c.socket.destroy()
  }
}

async function framing (/** @type {number} */ port) {
  while (running()) {
    const c = await connect(port)
    c.socket.write(head('PUT /up HTTP/1.1', { host: 'x', 'content-type': 'text/plain', 'transfer-encoding': 'gzip' }) + 'hello' + ping)
    await Promise.race([c.closed, sleep(5000)])
    if (/^HTTP\/1\.1 400 /.test(c.received()) && !c.received().includes('pong')) counts.framing400++; else counts.framingOther++
    c.socket.destroy()
    await sleep(20)
  }
}

async function h2Pushers (/** @type {number} */ port) {
  while (running()) {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    session.on('error', () => {})
    for (let i = 0; i < 20 && running(); i++) {
      await new Promise((resolve) => {
        const req = session.request({ ':method': 'PUT', ':path': '/small', 'content-type': 'application/json', 'content-length': 20 * 1024 * 1024, expect: '100-continue', 'x-token': 'bad' })
        const piece = Buffer.alloc(16 * 1024)
        let sent = 0
        const pump = () => {
          while (sent < 20 * 1024 * 1024 && !req.destroyed && !req.closed) {
            sent += piece.length
            if (!req.write(piece)) { req.once('drain', pump); return }
          }
        }
        req.on('response', (h) => { if (h[':status'] === 401) counts.h2Refused++ })
        req.on('error', () => {})
        req.resume()
        const timer = setTimeout(() => req.close(), 5000)
        req.on('close', () => { clearTimeout(timer); resolve(undefined) })
        pump()
      })
    }
    session.destroy()
  }
}

async function main () {
  const child = fork(__filename, ['--server'], { execArgv: ['--expose-gc'] })
  // A hard bound, whatever state the server is in.
  setTimeout(() => {
    console.error(`not finished ${SECONDS + 60} s after the start: stopping (the server is not keeping up)`)
    child.kill()
    process.exit(2)
  }, (SECONDS + 60) * 1000).unref()
  /** @type {(value: any) => void} */
  let onMessage = () => {}
  child.on('message', (message) => onMessage(message))
  const next = () => new Promise((resolve) => { onMessage = resolve })
  const { ports: [h1, h2] } = /** @type {any} */ (await next())
  const sample = async () => { const reply = next(); child.send('sample'); return /** @type {any} */ (await reply) }
  const rows = [['before traffic', await sample()]]
  const started = Date.now()
  const load = [
    normal(h1), normal(h1), flood(h1), flood(h1), chained(h1), chained(h1),
    ...Array.from({ length: 10 }, () => idleRefused(h1)), framing(h1), h2Pushers(h2), h2Pushers(h2)
  ]
  const mid = setInterval(async () => {
    const s = await sample()
    process.stderr.write(`t=${Math.round((Date.now() - started) / 1000)}s heap ${(s.heapUsed / 2 ** 20).toFixed(1)} MiB rss ${(s.rss / 2 ** 20).toFixed(1)} MiB sockets ${s.sockets}\n`)
  }, 15_000)
  const early = Math.min(10, Math.floor(SECONDS / 2))
  await sleep(early * 1000)
  rows.push([`after ${early} s of traffic`, await sample()])
  await Promise.all(load)
  clearInterval(mid)
  rows.push([`end (${SECONDS} s)`, await sample()])
  await sleep(3000)
  rows.push(['3 s after the end', await sample()])
  child.kill()

  const mib = (/** @type {number} */ n) => (n / 2 ** 20).toFixed(1)
  console.log('| moment | heap used (MiB) | RSS (MiB) | open sockets | event-loop delay p99 / max (ms) | longest half-closed so far (ms) | bytes read, total (MiB) |')
  console.log('|---|---|---|---|---|---|---|')
  for (const [label, s] of rows) console.log(`| ${label} | ${mib(s.heapUsed)} | ${mib(s.rss)} | ${s.sockets} | ${s.delayP99.toFixed(1)} / ${s.delayMax.toFixed(1)} | ${s.halfClosedMax} | ${mib(s.bytesRead)} |`)
  console.log('')
  console.log(Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join(', '))
}

if (process.argv[2] === '--server') runServer()
else main().catch((err) => { console.error(err); process.exit(1) })
