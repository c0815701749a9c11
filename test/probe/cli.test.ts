// The probe as a person runs it (human output, exit codes, usage errors), over
// TLS and IPv6, and its parts without a network: the request head, chunked
// excerpts, and socket errors turned into messages.
import t from 'tap'
import Fastify from 'fastify'
import https from 'node:https'
import { networkInterfaces } from 'node:os'
import { listenOnLoopback } from '../helpers/server'
import { makeCertificate } from '../helpers/interop'
import { probeJson, rawServer, runCli, trackConnections } from '../helpers/probe'
import { requireTool } from '../helpers/tools'
import { buildHead, parseResponseHead } from '../../probe/probe'
import { decodeChunked } from '../../probe/chunked'
import { describeSocketError } from '../../probe/errors'
import { USAGE } from '../../probe/args'

t.test('human output, one per outcome', async (t) => {
  const refusing = await rawServer(t, (socket) => {
    socket.end('HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nConnection: close\r\nDate: today\r\nContent-Length: 9\r\n\r\ntoo\r\nbig\x01')
  })
  const refused = await runCli(['probe', `http://127.0.0.1:${refusing.port}/up`, '-H', 'Authorization: secret'])
  t.equal(refused.code, 0)
  t.equal(refused.stderr, '')
  t.match(refused.stdout, /^PUT http:\/\/127\.0\.0\.1:\d+\/up\n/)
  t.match(refused.stdout, /sent: Host: 127\.0\.0\.1:\d+ \| .*Content-Length: 10485760 \| Expect: 100-continue \| Authorization: \*\*\*/)
  t.notMatch(refused.stdout, /secret/, 'credentials are masked')
  t.match(refused.stdout, /Result: HTTP\/1\.1 413 Payload Too Large after [\d.]+ ms, before the body \(0 body bytes sent\)/)
  t.match(refused.stdout, / {2}content-type: text\/plain\n/)
  t.notMatch(refused.stdout, /date:/, 'only the telling headers')
  t.match(refused.stdout, / {2}body: too\\r\\nbig\\x01\n/, 'control characters made visible')
  t.match(refused.stdout, /Advice:\n {2}- The server refused before the body/)
  t.match(refused.stdout, /closes the connection after this answer/)

  const long = await rawServer(t, (socket) => { socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Length: 2000\r\n\r\n${'y'.repeat(2000)}`) })
  const cut = await runCli(['probe', `http://127.0.0.1:${long.port}/`])
  t.match(cut.stdout, / {2}body \(start\): y{300}\.\.\.\n/, 'a long body is cut')
  t.match(cut.stdout, /400: the request head is invalid/)

  const unusual = await rawServer(t, (socket) => { socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\n\r\n') })
  t.match((await runCli(['probe', `http://127.0.0.1:${unusual.port}/`])).stdout, /418: a client error/)
  const failing = await rawServer(t, (socket) => { socket.end('HTTP/1.1 599\r\nContent-Length: 0\r\n\r\n') })
  const failed = await runCli(['probe', `http://127.0.0.1:${failing.port}/`])
  t.match(failed.stdout, /HTTP\/1\.1 599 {2}after/, 'a status line without a reason phrase')
  t.match(failed.stdout, /599: a server-side error/)

  const continuing = await rawServer(t, (socket) => { socket.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n') })
  const continued = await runCli(['probe', `http://127.0.0.1:${continuing.port}/`])
  t.match(continued.stdout, / {2}<- 102 Processing after [\d.]+ ms \(informational\)\n/)
  t.match(continued.stdout, /Result: 100 Continue after [\d.]+ ms \(body not sent: 0 bytes\)/)

  const silent = await rawServer(t, () => {})
  const waited = await runCli(['probe', `http://127.0.0.1:${silent.port}/`, '--timeout', '100'])
  t.equal(waited.code, 3)
  t.match(waited.stdout, /Result: no answer within 100 ms \(body not sent\)/)

  const app = Fastify()
  const port = await listenOnLoopback(t, app)
  await app.close()
  const refusedConnection = await runCli(['probe', `http://127.0.0.1:${port}/`])
  t.equal(refusedConnection.code, 1)
  t.match(refusedConnection.stdout, /Result: connection error: connection refused by 127\.0\.0\.1:\d+/)
  t.notMatch(refusedConnection.stdout, /connected in/, 'no connection, no timing')
})

t.test('usage errors: exit code 2, a message on stderr, nothing on stdout', async (t) => {
  for (const argv of [[], ['probe'], ['probe', 'localhost:3000'], ['probe', 'http://h/', '-H', 'nope'], ['probe', 'http://h/', '--size', '-5']]) {
    const run = await runCli(argv)
    t.equal(run.code, 2, argv.join(' '))
    t.equal(run.stdout, '')
    t.match(run.stderr, /^fastify-expect: [^]+\nRun "fastify-expect --help" for the options\.\n$/)
  }
  const negative = await runCli(['probe', 'http://h/', '--size', '-5'])
  t.equal(negative.stderr, 'fastify-expect: bad --size "-5": a size cannot be negative (0 or more bytes, e.g. 10M)\n' +
    'Run "fastify-expect --help" for the options.\n', 'our wording, not parseArgs\'')
  const escaped = await runCli(['probe', 'http://h/', '-X', 'P\x1b[2JUT'])
  t.match(escaped.stderr, /^fastify-expect: bad --method "P\\x1b\[2JUT"/, 'echoed input is escaped')
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  t.equal(help.stdout, `${USAGE}\n`)
})

t.test('a slow 100 gets the clients\' timeouts in its advice', async (t) => {
  // The 100 is written only once the probe's own head has been read and 1.1 s have passed.
  const { port } = await rawServer(t, (socket) => {
    const timer = setTimeout(() => socket.write('HTTP/1.1 100 Continue\r\n\r\n'), 1100)
    socket.once('close', () => clearTimeout(timer))
  })
  const { report } = await probeJson(`http://127.0.0.1:${port}/`)
  t.equal(report.outcome, 'continue')
  t.ok((report.answerMs ?? 0) >= 1000, `answered after ${report.answerMs} ms`)
  t.match(report.advice.join('\n'), /curl and Go wait only 1 s/)
})

t.test('the connection is closed even when the server keeps it half-open', async (t) => {
  // The server ignores the probe's FIN and keeps writing: the probe must end it.
  const { port, connections } = await rawServer(t, (socket) => {
    socket.write('HTTP/1.1 100 Continue\r\n\r\n')
    socket.once('end', () => {
      let writes = 0
      const timer = setInterval(() => { if (++writes > 100) socket.destroy(); else socket.write('x') }, 50)
      socket.once('close', () => clearInterval(timer))
    })
  }, { allowHalfOpen: true })
  const { report } = await probeJson(`http://127.0.0.1:${port}/`)
  t.equal(report.outcome, 'continue')
  await connections.allClosed()
  t.equal(connections.count(), 1, 'its one connection closed')
})

t.test('a response cut by a reset after its head', async (t) => {
  const { port } = await rawServer(t, (socket) => {
    socket.write('HTTP/1.1 401 Unauthorized\r\nContent-Length: 50\r\n\r\nhalf', () => socket.resetAndDestroy())
  })
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/`)
  t.equal(code, 0, 'the status arrived: an answer')
  t.equal(report.response?.status, 401)
  t.equal(report.response?.bodyComplete, false)
})

const ipv6Loopback = Object.values(networkInterfaces()).flat().some((i) => i?.address === '::1')

// A machine without an IPv6 loopback cannot run this, in CI or not: a property of the machine's
// network, not a tool .ci/run could install, so it stays a skip (with its reason) everywhere.
t.test('IPv6 literal hosts', { skip: ipv6Loopback ? false : 'no IPv6 loopback (::1) on this machine' }, async (t) => {
  const app = Fastify()
  app.put('/', async () => 'ok')
  await app.listen({ port: 0, host: '::1' })
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  const { report } = await probeJson(`http://[::1]:${port}/`)
  t.equal(report.outcome, 'continue')
  t.equal(report.requestHeaders.Host, `[::1]:${port}`)
})

t.test('https', async (t) => {
  // openssl makes the certificate: a skip on a laptop without it, a failure in CI.
  if (requireTool(t, 'openssl') === undefined) return
  const { key, cert, certFile } = await makeCertificate(t)
  const server = https.createServer({ key, cert }, (req, res) => { res.writeHead(201).end() })
  const connections = trackConnections(server, 'secureConnection')
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }

  const insecure = await probeJson(`https://127.0.0.1:${port}/up`, '--insecure')
  t.equal(insecure.code, 0)
  t.equal(insecure.report.outcome, 'continue', 'Node answers 100 over TLS too')
  const trusted = await probeJson(`https://localhost:${port}/up`, '--cacert', certFile)
  t.equal(trusted.report.outcome, 'continue', 'with the CA given, by host name (SNI)')
  await connections.allClosed()
  t.equal(connections.bytesRead(), insecure.report.headBytes + trusted.report.headBytes, 'the server read both heads and no body byte (plaintext)')

  const verified = await probeJson(`https://127.0.0.1:${port}/up`)
  t.equal(verified.code, 1)
  t.equal(verified.report.outcome, 'connection-error')
  t.match(verified.report.error, { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: /TLS handshake with 127\.0\.0\.1:\d+ failed: .*use --insecure/ })

  const plain = await rawServer(t, () => {})
  const wrongPort = await probeJson(`https://127.0.0.1:${plain.port}/`, '--timeout', '300')
  t.equal(wrongPort.code, 1)
  t.equal(wrongPort.report.error?.code, 'connect-timeout', 'a TCP server that never starts TLS')
  t.match(wrongPort.report.error?.message, /^no TLS handshake with 127\.0\.0\.1:\d+ within 300 ms \(TCP connected after [\d.]+ ms\)$/, 'the step that did not finish')
  t.equal(wrongPort.report.deadlineReached, true)

  const speaking = await rawServer(t, () => {}, { onConnection: (socket) => { socket.write('HTTP/1.1 400 Bad Request\r\n\r\n') } })
  const notTls = await probeJson(`https://127.0.0.1:${speaking.port}/`)
  t.equal(notTls.code, 1)
  t.match(notTls.report.error?.message, /^TLS handshake with 127\.0\.0\.1:\d+ failed: wrong version number \(does this port speak TLS\? try http:\/\/\)$/)

  const hangingUp = await rawServer(t, () => {}, { onConnection: (socket) => { socket.destroy() } })
  const cut = await probeJson(`https://127.0.0.1:${hangingUp.port}/`)
  t.equal(cut.code, 1)
  t.match(cut.report.error?.message, /while it was being set up|closed the connection/)
})

t.test('the request head', async (t) => {
  const url = new URL('http://example.test:8080/a/b?c=d')
  const plain = buildHead({ url, method: 'PUT', size: 5, headers: [], timeoutMs: 1 }).bytes.toString('latin1')
  t.equal(plain, 'PUT /a/b?c=d HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: fastify-expect-probe\r\nAccept: */*\r\n' +
    'Content-Type: application/octet-stream\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
  const custom = buildHead({
    url,
    method: 'POST',
    size: 0,
    headers: [['content-type', 'image/png'], ['Accept', ''], ['Content-Length', '99'], ['X-Trace', '1'], ['X-Trace', '2'], ['host', 'api.test']],
    timeoutMs: 1
  })
  t.same(custom.headers, [
    ['User-Agent', 'fastify-expect-probe'], ['Content-Length', '0'], ['Expect', '100-continue'],
    ['content-type', 'image/png'], ['X-Trace', '1'], ['X-Trace', '2'], ['host', 'api.test']
  ], 'given headers replace or remove the defaults; Content-Length stays the declared size')
})

t.test('response heads', async (t) => {
  t.same(parseResponseHead('HTTP/1.0 200 OK\r\nSet-Cookie: a\r\nset-cookie: b\r\nbroken line\r\n: empty'), {
    httpVersion: '1.0', status: 200, statusText: 'OK', headers: { 'set-cookie': 'a, b' }
  })
  t.equal(parseResponseHead('HTTP/2 200'), undefined)
})

t.test('chunked excerpts', async (t) => {
  const decoded = (text: string): { body: string, complete: boolean } => {
    const { body, complete } = decodeChunked(Buffer.from(text))
    return { body: body.toString(), complete }
  }
  t.same(decoded('3;ext=1\r\nabc\r\n0\r\n\r\n'), { body: 'abc', complete: true })
  t.same(decoded('3\r\nabc\r\n5\r\nde'), { body: 'abcde', complete: false }, 'a chunk still arriving')
  t.same(decoded('3\r\nab'), { body: 'ab', complete: false })
  t.same(decoded('3'), { body: '', complete: false })
  t.same(decoded('zz\r\nabc'), { body: '', complete: false }, 'a bad chunk size ends the excerpt')
})

t.test('socket errors as messages', async (t) => {
  const http = new URL('http://api.test/')
  const secure = new URL('https://api.test:8443/')
  const error = (code: string | undefined, message = 'boom'): Error => Object.assign(new Error(message), code === undefined ? {} : { code })
  t.match(describeSocketError(error('ENOTFOUND'), http), { code: 'ENOTFOUND', message: 'could not resolve host "api.test" (ENOTFOUND)' })
  t.match(describeSocketError(error('EAI_AGAIN'), http), { message: /could not resolve host/ })
  t.match(describeSocketError(error('EAI_NONAME'), http), { message: /could not resolve host/ })
  t.match(describeSocketError(error('ECONNREFUSED'), secure), { message: 'connection refused by api.test:8443: nothing listens there' })
  t.match(describeSocketError(error('EPIPE'), http, 12), { message: /reset the connection 12 ms after the head/ })
  t.match(describeSocketError(error('ECONNRESET'), secure), { message: 'the connection to api.test:8443 was reset while it was being set up (ECONNRESET)' })
  for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']) {
    t.match(describeSocketError(error(code), http), { message: `api.test:80 cannot be reached (${code})` })
  }
  t.match(describeSocketError(error('CERT_HAS_EXPIRED', 'certificate has expired'), secure), { message: /failed: certificate has expired \(use --insecure/ })
  t.match(describeSocketError(error('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version'), secure), { message: /wrong version \(does this port speak TLS/ })
  t.match(describeSocketError(error('ERR_SSL_X', 'odd'), new URL('http://h/')), { message: 'TLS handshake with h:80 failed: odd' })
  const openssl = Object.assign(error('ERR_SSL_Y', '80BC:error:0A00010B:SSL routines:long story'), { reason: 'short story' })
  t.match(describeSocketError(openssl, secure), { message: /failed: short story \(/ }, 'OpenSSL\'s reason rather than its error stack')
  t.match(describeSocketError(error(undefined, 'strange'), new URL('https://h/')), { code: 'ERROR', message: 'connection to h:443 failed: strange' })
})
