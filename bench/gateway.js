// @ts-check
// `npm run bench:gateway`: curl uploading 50 MB (it adds `Expect: 100-continue`
// itself) through a Fastify gateway to the example upload app, which refuses it
// (401: no token). Three gateways: @fastify/http-proxy as it is, the same with
// the Expect field stripped (rewriteRequestHeaders), and with expectContinueHandler.
// Prints the status curl read and the body bytes carried by each hop. Loopback
// only; one upload per row.
'use strict'
const { execFile } = require('node:child_process')
const { promisify } = require('node:util')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const Fastify = require('fastify')
const httpProxy = require('@fastify/http-proxy')
const fastifyExpect = require('..')
const { expectContinueHandler } = require('../dist/gateway')
const { buildUploadApp } = require('../examples/upload-app')

const BYTES = Number(process.env.GATEWAY_BENCH_BYTES ?? 50 * 1024 * 1024)

/** Body bytes a server read: bytes read on its sockets minus the request heads. @param {import('node:http').Server} server */
function countBody (server) {
  let heads = 0
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set()
  server.on('connection', (socket) => { sockets.add(socket) })
  server.prependListener('request', (/** @type {import('node:http').IncomingMessage} */ request) => {
    heads += Buffer.byteLength(`${request.method} ${request.url} HTTP/${request.httpVersion}\r\n\r\n`)
    for (let i = 0; i < request.rawHeaders.length; i += 2) heads += Buffer.byteLength(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`)
  })
  return () => [...sockets].reduce((sum, socket) => sum + socket.bytesRead, 0) - heads
}

/** @param {string} upstream @param {'as is' | 'Expect stripped' | 'expectContinueHandler'} mode */
function buildGateway (upstream, mode) {
  const app = Fastify({ bodyLimit: 2 * BYTES })
  app.register(fastifyExpect)
  app.register(httpProxy, {
    upstream,
    prefix: '/api',
    handler: mode === 'expectContinueHandler' ? /** @type {any} */ (expectContinueHandler({ upstream })) : undefined,
    replyOptions: mode === 'Expect stripped'
      ? { rewriteRequestHeaders: (_request, headers) => { const { expect, ...rest } = headers; return rest } }
      : {}
  })
  return app
}

async function main () {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-')), 'upload.bin')
  fs.writeFileSync(file, Buffer.alloc(BYTES, 1))
  const rows = []
  for (const mode of /** @type {const} */ (['as is', 'Expect stripped', 'expectContinueHandler'])) {
    const upstream = buildUploadApp()
    await upstream.ready()
    const upstreamBody = countBody(upstream.server)
    const origin = await upstream.listen({ port: 0, host: '127.0.0.1' })
    const gateway = buildGateway(origin, mode)
    await gateway.ready()
    const gatewayBody = countBody(gateway.server)
    const address = await gateway.listen({ port: 0, host: '127.0.0.1' })
    // Asynchronous: both servers run in this process.
    const out = await promisify(execFile)('curl', ['-sS', '-o', '/dev/null', '-T', file, '-H', 'content-type: application/octet-stream', '-w', '%{http_code} %{size_upload}', `${address}/api/files/big.bin`], { encoding: 'utf8', timeout: 60_000 })
      .then(({ stdout }) => stdout, (/** @type {{ stdout?: string }} */ error) => String(error.stdout ?? '0 ?'))
    await gateway.close()
    await upstream.close()
    const [status, uploaded] = out.trim().split(' ')
    rows.push({ gateway: mode, status, 'curl uploaded': uploaded, 'hop 1 (gateway) body bytes': gatewayBody(), 'hop 2 (upstream) body bytes': upstreamBody() })
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
  console.log(`curl -T ${BYTES} bytes, upstream refuses (401, no token); fastify-expect on both servers`)
  console.table(rows)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
