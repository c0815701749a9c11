// @ts-check
// `npm start`: the example upload app, once as plain Fastify and once with
// fastify-expect, answering the same real requests over real sockets from a
// client that sends `Expect: 100-continue` and waits for the 100 before sending
// its body (as curl, the AWS SDK, .NET and PHP clients do).
'use strict'
const { buildUploadApp, TOKEN, MiB } = require('./upload-app')
const { rawRequest, head } = require('../test/helpers/raw-client')

const big = Buffer.alloc(5 * MiB, 1)
const small = Buffer.alloc(256 * 1024, 2)
const json = Buffer.from(JSON.stringify({ event: 'signup', at: Date.now() }))

/** @type {Array<{ label: string, requestLine?: string, headers: Record<string, string | number>, body: Buffer }>} */
const cases = [
  { label: 'accepted upload (256 KiB)', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': small.length, expect: '100-continue' }, body: small },
  { label: 'too large (5 MiB > 1 MiB)', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': big.length, expect: '100-continue' }, body: big },
  { label: 'wrong type (text/csv)', headers: { authorization: TOKEN, 'content-type': 'text/csv', 'content-length': big.length, expect: '100-continue' }, body: big },
  { label: 'unauthorized (no token)', headers: { 'content-type': 'application/octet-stream', 'content-length': big.length, expect: '100-continue' }, body: big },
  { label: 'not found (/nowhere)', requestLine: 'PUT /nowhere HTTP/1.1', headers: { 'content-type': 'application/octet-stream', 'content-length': big.length, expect: '100-continue' }, body: big },
  { label: 'unknown expectation', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': small.length, expect: 'x-fast-lane' }, body: small },
  { label: 'missing tenant header', requestLine: 'POST /ingest HTTP/1.1', headers: { 'content-type': 'application/json', 'content-length': json.length, expect: '100-continue' }, body: json },
  { label: 'HTTP/1.0 (Expect ignored)', requestLine: 'PUT /files/old.bin HTTP/1.0', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': small.length, expect: '100-continue' }, body: small },
  { label: 'chunked upload', headers: { authorization: TOKEN, 'content-type': 'image/png', 'transfer-encoding': 'chunked', expect: '100-continue' }, body: Buffer.concat([Buffer.from(small.length.toString(16) + '\r\n'), small, Buffer.from('\r\n0\r\n\r\n')]) }
]

/** @param {boolean} withPlugin */
async function runAll (withPlugin) {
  const app = buildUploadApp({ expect: withPlugin })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = /** @type {import('node:net').AddressInfo} */ (app.server.address())
  const rows = []
  for (const c of cases) {
    const requestLine = c.requestLine ?? 'PUT /files/report.bin HTTP/1.1'
    // HTTP/1.0 clients never wait for a 100: the body follows the head at once.
    const sendBody = requestLine.endsWith('1.0') ? 'now' : 'on-continue'
    const started = performance.now()
    const r = await rawRequest({ port, head: head(requestLine, { host: 'localhost', ...c.headers }), body: c.body, sendBody, timeoutMs: 10000 })
    const answered = [r.continueAt !== undefined ? '100' : '', r.status ?? 'no answer'].filter(Boolean).join(' + ')
    rows.push({ answered, bytes: r.bodyBytesSent, ms: ((r.finalAt ?? performance.now()) - started).toFixed(1) })
  }
  await app.close()
  return rows
}

async function main () {
  const plain = await runAll(false)
  const expect = await runAll(true)
  const header = ['request', 'plain Fastify', 'body sent', 'ms', 'with fastify-expect', 'body sent', 'ms']
  const table = cases.map((c, i) => {
    const p = /** @type {typeof plain[number]} */ (plain[i])
    const e = /** @type {typeof expect[number]} */ (expect[i])
    return [c.label, p.answered, String(p.bytes), p.ms, e.answered, String(e.bytes), e.ms]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)))
  const line = (/** @type {string[]} */ row) => row.map((cell, i) => i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)).join('  ')
  console.log([
    'The same nine requests to the example upload app, once without fastify-expect and once with it.',
    'The client does what curl does for large uploads: it sends the headers with `Expect: 100-continue`,',
    'waits for the server\'s "100 Continue" (go ahead), and only then sends the body.',
    '',
    '  "100 + 413": the server said go ahead, took the whole body, then refused it.',
    '  "413" alone: the server refused from the headers; the client never sent the body.',
    '  "body sent": body bytes that crossed the network; "ms": time to the final answer.',
    ''
  ].join('\n'))
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of table) console.log(line(row))
  const saved = plain.reduce((sum, p, i) => sum + p.bytes - (expect[i]?.bytes ?? 0), 0)
  console.log(`\nBody bytes the clients did not have to send with fastify-expect: ${saved.toLocaleString('en')}`)
  console.log('Try it yourself: `npx fastify-expect probe <url>` shows what any server answers to an expectation.')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
