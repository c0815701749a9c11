// @ts-check
// `npm run bench:admission`: admission before the body (maxConcurrentUploads)
// under a burst of uploads. CLIENTS clients at once each upload SIZE bytes the
// way curl does (Expect: 100-continue, the body on the 100 or after 1 s
// without one, stopped at a final status) to a route that buffers the body and
// writes it to a "disk" of fixed rate (bench/admission-server.js); a client
// refused with 503 waits the Retry-After seconds and tries again. Two runs on
// the same burst: without admission, and with maxConcurrentUploads: 8.
// Reports peak heap and RSS of the server, the body bytes it received for
// requests it then refused, completed uploads per second, and the clients'
// retries; writes the "admission" section of BENCHMARKS.md and bench/admission.svg.
//   ADMISSION_CLIENTS=200 ADMISSION_MB=10 DISK_MB_S=200   the burst and the disk
//   BENCH_QUICK=1   20 clients × 2 MB, prints only
'use strict'
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { writeSection } = require('./sections')
const { chart } = require('./admission-chart')

const QUICK = process.env.BENCH_QUICK === '1'
const CLIENTS = Number(process.env.ADMISSION_CLIENTS ?? (QUICK ? 20 : 200))
const SIZE = Number(process.env.ADMISSION_MB ?? (QUICK ? 2 : 10)) * 1024 * 1024
const DISK = Number(process.env.DISK_MB_S ?? 200) * 1024 * 1024
const SLOTS = 8
const WAIT_MS = 1000 // curl's expect100-timeout
const CLIENT_BOUND_MS = 120_000

/** @returns {Promise<{ port: number, ask: (cmd: string) => Promise<any>, close: () => Promise<void> }>} */
async function startServer (/** @type {Record<string, unknown>} */ options) {
  const child = spawn(process.execPath, [path.join(__dirname, 'admission-server.js'), JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, DISK_BYTES_PER_S: String(DISK) }
  })
  const closed = new Promise((resolve) => child.once('close', resolve))
  /** @type {Array<(m: any) => void>} */
  const waiting = []
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    child.once('message', (/** @type {any} */ m) => {
      child.on('message', (m) => waiting.shift()?.(m))
      resolve(m.port)
    })
  })
  return {
    port,
    ask: (cmd) => new Promise((resolve) => { waiting.push(resolve); child.send({ cmd }) }),
    async close () { child.kill(); await closed }
  }
}

/**
 * One upload as curl sends it; resolves with the final status, its Retry-After and the body bytes written.
 * @param {number} port
 * @returns {Promise<{ status: number | undefined, retryAfter: number | undefined, bytesSent: number }>}
 */
function upload (port) {
  const head = Buffer.from(`PUT /upload HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: ${SIZE}\r\nexpect: 100-continue\r\n\r\n`)
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    /** @type {number | undefined} */
    let status
    /** @type {number | undefined} */
    let retryAfter
    let sent = 0
    let sending = false
    let buf = Buffer.alloc(0)
    const finish = () => { clearTimeout(wait); clearTimeout(bound); socket.destroy(); resolve({ status, retryAfter, bytesSent: sent }) }
    const send = () => {
      if (sending || status !== undefined) return
      sending = true
      const pump = () => {
        // eslint-disable-next-line no-unmodified-loop-condition -- status is set by the data listener
        while (status === undefined && sent < SIZE) {
          const n = Math.min(chunk.length, SIZE - sent)
          sent += n
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { socket.once('drain', pump); return }
        }
      }
      pump()
    }
    const wait = setTimeout(send, WAIT_MS)
    const bound = setTimeout(finish, CLIENT_BOUND_MS)
    socket.on('connect', () => socket.write(head))
    socket.on('error', finish)
    socket.on('close', finish)
    socket.on('data', (data) => {
      buf = Buffer.concat([buf, data])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const text = buf.subarray(0, end).toString('latin1')
        const code = Number(text.slice(9, 12))
        if (code === 100) { buf = buf.subarray(end + 4); send(); continue }
        status = code
        const ra = /\r\nretry-after: *(\d+)/i.exec(text)
        retryAfter = ra === null ? undefined : Number(ra[1])
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text)?.[1] ?? 0)
        if (buf.length >= end + 4 + length) { finish(); return }
        return
      }
    })
  })
}

/** One burst against a fresh server. @param {string} label @param {Record<string, unknown>} options */
async function run (label, options) {
  const server = await startServer(options)
  try {
    await server.ask('start')
    const t0 = performance.now()
    /** @type {number[]} */
    const completedAt = []
    let attempts = 0
    let refusedAttempts = 0
    let bytesSentRefused = 0
    let failed = 0
    /** @type {number[]} */
    const retryAfters = []
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        attempts++
        const r = await upload(server.port)
        if (r.status === 200) { completedAt.push((performance.now() - t0) / 1000); return }
        if (r.status === 503 && r.retryAfter !== undefined) {
          refusedAttempts++
          bytesSentRefused += r.bytesSent
          retryAfters.push(r.retryAfter)
          await new Promise((resolve) => setTimeout(resolve, /** @type {number} */ (r.retryAfter) * 1000))
          continue
        }
        failed++
        return
      }
    }))
    const seconds = (performance.now() - t0) / 1000
    const report = await server.ask('report')
    return { label, options, seconds, completed: completedAt.length, failed, attempts, refusedAttempts, bytesSentRefused, retryAfters, ...report }
  } finally {
    await server.close()
  }
}

/** The p-quantile of xs (0 when empty). @param {number[]} xs @param {number} p */
const q = (xs, p) => xs.length === 0 ? 0 : ([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0)
const mb = (/** @type {number} */ n) => `${(n / 1024 / 1024).toFixed(0)} MB`

async function main () {
  const started = Date.now()
  console.log(`admission bench: ${CLIENTS} clients × ${mb(SIZE)}, disk ${mb(DISK)}/s, Node ${process.version}, ${os.cpus().length} cores`)
  const runs = []
  for (const [label, options] of /** @type {Array<[string, Record<string, unknown>]>} */ ([['without admission', {}], [`maxConcurrentUploads: ${SLOTS}`, { maxConcurrentUploads: SLOTS }]])) {
    const r = await run(label, options)
    console.log(`  event loop delay: p99 ${r.loopDelay.p99.toFixed(0)} ms, max ${r.loopDelay.max.toFixed(0)} ms`)
    console.log(`  waits: admitted ${r.waits.admitted.length} (median ${q(r.waits.admitted, 0.5).toFixed(0)} ms, max ${q(r.waits.admitted, 1).toFixed(0)} ms), busy ${r.waits.busy.length} (median ${q(r.waits.busy, 0.5).toFixed(0)} ms); refusals with body bytes: ${r.refusedWithBody}`)
    console.log(`${label}: ${r.completed}/${CLIENTS} stored in ${r.seconds.toFixed(1)} s, peak RSS ${mb(r.peakRss)}, peak heap ${mb(r.peakHeap)}, peak bodies in flight ${r.peakInFlight}, refused ${r.refusedAttempts} (${mb(r.refusedBodyBytes)} of their bodies received)`)
    runs.push(r)
  }
  const [off, on] = /** @type {[Awaited<ReturnType<typeof run>>, Awaited<ReturnType<typeof run>>]} */ (runs)
  const retries = on.retryAfters.length === 0 ? '–' : `${Math.min(...on.retryAfters)} to ${Math.max(...on.retryAfters)} s`
  const rows = runs.map((r) => `| ${r.label} | ${r.completed} / ${CLIENTS} | ${r.seconds.toFixed(1)} s | ${(r.completed / r.seconds).toFixed(1)} | ${mb(r.peakRss)} | ${mb(r.peakHeap)} | ${mb(r.peakBuffers)} | ${r.options.maxConcurrentUploads === undefined ? '–' : r.peakSlots} | ${r.peakInFlight} | ${r.refusedAttempts} | ${mb(r.refusedBodyBytes)} (${r.refusedWithBody} requests) | ${(r.attempts / CLIENTS).toFixed(2)} |`)
  const svg = path.join(__dirname, 'admission.svg')
  if (!QUICK) fs.writeFileSync(svg, chart([off, on], { clients: CLIENTS, size: SIZE }))
  const late = on.refusedWithBody === 0
    ? 'None of the refused clients had sent a byte of its body.'
    : `${on.refusedWithBody} of the refused clients had started sending their body: the 503 reached them after their 1 s (a
refusal ${q(on.waits.busy, 1).toFixed(0)} ms at the longest after the first read, against the 800 ms timeout: the event loop, busy taking bodies in, ran the
timers late; its delay reached ${on.loopDelay.max.toFixed(0)} ms, ${on.loopDelay.p99.toFixed(0)} ms at the 99th percentile). The staged close reads and drops those bytes (no buffer); they are the "bodies arriving" above the
slots, what an \`admissionTimeout\` below the clients' wait is there to avoid, and the reason to keep it well below on a
loaded server.`
  const body = `## Admission before the body: ${CLIENTS} uploads of ${mb(SIZE)} at once

\`npm run bench:admission\` (bench/admission.js, ${((Date.now() - started) / 1000).toFixed(0)} s), Node ${process.version}, ${os.cpus().length} cores shared with other work, ${new Date().toISOString().slice(0, 10)}.
${CLIENTS} clients start at once, each uploading ${mb(SIZE)} as curl does (\`Expect: 100-continue\`, the body on the 100
or after 1 s without one, stopped at a final status); the route buffers the body (Fastify's buffer parser) and
writes it to a "disk" of ${mb(DISK)}/s shared by all uploads. A client refused with 503 waits the \`Retry-After\`
seconds and tries again. The same burst against a fresh server process each run; figures from the server
process, sampled every 50 ms ("bodies arriving": connections with bytes past the head and no answer yet,
counted at the sockets; "slots": \`fastify.expectAdmission.inUse\`).

| run | stored | all done in | uploads/s | peak RSS | peak heap | peak Buffers (outside the heap) | peak slots in use | peak bodies arriving | 503s | body bytes received for refused requests | attempts per upload |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

With admission: ${on.peakSlots} bodies at most were taken in (the slots), peak RSS ${mb(on.peakRss)} against ${mb(off.peakRss)}, and
${(on.completed / on.seconds / (off.completed / off.seconds) * 100).toFixed(0)} % of the uploads per second of the run without it (the disk sets the pace in both).
Waits for a slot: ${on.waits.admitted.length} admitted (median ${q(on.waits.admitted, 0.5).toFixed(0)} ms, longest ${q(on.waits.admitted, 1).toFixed(0)} ms);
${on.waits.busy.length} refused after a median ${q(on.waits.busy, 0.5).toFixed(0)} ms, told to come back in ${retries} (one turn each, at the pace slots
came free). ${late}

![bodies arriving and server RSS over time, without and with admission](bench/admission.svg)
`
  console.log(body)
  if (!QUICK) {
    writeSection(path.join(__dirname, '..', 'BENCHMARKS.md'), 'admission', body)
    console.log(`wrote BENCHMARKS.md (admission section) and ${path.relative(process.cwd(), svg)} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  }
}

main().catch((error) => { console.error(error); process.exit(1) })
