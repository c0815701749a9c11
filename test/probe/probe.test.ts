// `fastify-expect probe` against real servers on loopback: the example upload app
// with the plugin, plain Fastify, and raw servers that answer 417, never answer,
// hang up, or speak something else. Each case parses the probe's --json report
// and checks on the server's sockets that no body byte arrived.
import t from 'tap'
import Fastify from 'fastify'
import type { Test } from 'tap'
import { buildUploadApp, TOKEN } from '../../examples/upload-app'
import { listenOnLoopback } from '../helpers/server'
import { probeJson, rawServer, trackConnections, type Connections } from '../helpers/probe'

/** After the probe: the server read exactly the head, and every connection closed. */
async function onlyHeadRead (t: Test, connections: Connections, headBytes: number): Promise<void> {
  await connections.allClosed()
  t.equal(connections.count(), 1, 'one connection')
  t.equal(connections.bytesRead(), headBytes, 'the server read the head and no body byte')
}

t.test('the example upload app with fastify-expect', async (t) => {
  const app = buildUploadApp()
  const connections = trackConnections(app.server)
  const port = await listenOnLoopback(t, app)
  const url = `http://127.0.0.1:${port}/files/photo.bin`
  let heads = 0

  t.test('no token: 401 before the body', async (t) => {
    const before = connections.count()
    const { code, report } = await probeJson(url)
    heads += report.headBytes
    t.equal(code, 0, 'exit code 0: an answer came')
    t.equal(report.outcome, 'final')
    t.equal(report.response?.status, 401)
    t.equal(report.response?.headers['www-authenticate'], 'Bearer')
    t.same(JSON.parse(report.response?.bodyExcerpt ?? ''), { error: 'Unauthorized' }, 'the body excerpt')
    t.equal(report.response?.bodyComplete, true)
    t.equal(report.bodyBytesSent, 0)
    t.match(report.advice.join('\n'), /refused before the body/)
    t.match(report.advice.join('\n'), /401: credentials/)
    await connections.allClosed()
    t.equal(connections.count(), before + 1, 'the connection is closed')
  })

  t.test('over the route bodyLimit: 413 before the body', async (t) => {
    const { code, report } = await probeJson(url, '--header', `Authorization: ${TOKEN}`, '--size', '2M')
    heads += report.headBytes
    t.equal(code, 0)
    t.equal(report.outcome, 'final')
    t.equal(report.response?.status, 413)
    t.equal(report.requestHeaders.Authorization, '***', 'credentials are not echoed')
    t.match(report.advice.join('\n'), /smaller --size/)
  })

  t.test('an upload the route accepts: 100', async (t) => {
    const { code, report } = await probeJson(url, '-H', `Authorization: ${TOKEN}`, '-s', '1000')
    heads += report.headBytes
    t.equal(code, 0)
    t.equal(report.outcome, 'continue')
    t.type(report.answerMs, 'number')
    t.equal(report.response, undefined)
    t.equal(report.bodyBytesSent, 0)
    t.match(report.advice.join('\n'), /probe a request this route should refuse/)
  })

  t.test('--size 0: no body announced, so no 100 expected (issue 19)', async (t) => {
    const { code, report } = await probeJson(url, '-H', `Authorization: ${TOKEN}`, '--size', '0')
    heads += report.headBytes
    t.equal(code, 0)
    t.equal(report.outcome, 'final')
    t.equal(report.response?.status, 201, 'the route ran on the empty request')
    const advice = report.advice.join('\n')
    t.match(advice, /With --size 0 the request announced no body, so no 100 is expected/)
    t.notMatch(advice, /does not want the body/, 'not the advice for a body refused')
  })

  t.test('the server read only heads', async (t) => {
    await connections.allClosed()
    t.equal(connections.count(), 4)
    t.equal(connections.bytesRead(), heads, 'the four heads, no body byte')
  })
})

t.test('plain Fastify: Node answers 100 at once, even to a request it will refuse', async (t) => {
  const app = buildUploadApp({ expect: false })
  const connections = trackConnections(app.server)
  const port = await listenOnLoopback(t, app)
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/files/photo.bin`)
  t.equal(code, 0)
  t.equal(report.outcome, 'continue', 'a 100 although the request has no token')
  await onlyHeadRead(t, connections, report.headBytes)
})

t.test('a server that answers 417', async (t) => {
  const { port, connections } = await rawServer(t, (socket) => {
    socket.end('HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/upload`)
  t.equal(code, 0)
  t.equal(report.outcome, 'expectation-failed')
  t.equal(report.response?.status, 417)
  t.match(report.advice.join('\n'), /Drop the header from the client/)
  await onlyHeadRead(t, connections, report.headBytes)
})

t.test('Node answers 417 to an unknown expectation given with --header', async (t) => {
  const app = Fastify()
  app.put('/', async () => 'ok')
  const connections = trackConnections(app.server)
  const port = await listenOnLoopback(t, app)
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/`, '-H', 'Expect: x-fancy')
  t.equal(code, 0)
  t.equal(report.outcome, 'expectation-failed')
  t.equal(report.requestHeaders.Expect, 'x-fancy', 'the given expectation replaces the default')
  t.equal(report.response?.headers['transfer-encoding'], 'chunked')
  t.equal(report.response?.bodyComplete, true, 'the empty chunked body was read to its end')
  t.match(report.advice.join('\n'), /only 100-continue is defined/)
  await onlyHeadRead(t, connections, report.headBytes)
})

t.test('a server that never answers: no answer within the timeout', async (t) => {
  const { port, connections } = await rawServer(t, () => {})
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/upload`, '--timeout', '300')
  t.equal(code, 3, 'exit code 3: no answer')
  t.equal(report.outcome, 'no-answer')
  t.equal(report.answerMs, undefined)
  t.equal(report.bodyBytesSent, 0)
  t.match(report.advice.join('\n'), /curl 1 s/)
  t.match(report.advice.join('\n'), /nginx and Varnish/)
  await onlyHeadRead(t, connections, report.headBytes)
})

t.test('informational responses before the 100 are listed', async (t) => {
  const { port, connections } = await rawServer(t, (socket) => {
    socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n')
  })
  const { report } = await probeJson(`http://127.0.0.1:${port}/upload`)
  t.equal(report.outcome, 'continue')
  t.match(report.informational, [{ status: 103, statusText: 'Early Hints' }])
  await onlyHeadRead(t, connections, report.headBytes)
})

t.test('a final status with a chunked body larger than the excerpt', async (t) => {
  const { port } = await rawServer(t, (socket) => {
    const chunk = 'x'.repeat(800)
    socket.write(`HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n${chunk}\r\n320\r\n${chunk}\r\n`)
  })
  const { report } = await probeJson(`http://127.0.0.1:${port}/upload`)
  t.equal(report.outcome, 'final')
  t.equal(report.response?.status, 403)
  t.equal(report.response?.bodyExcerpt.length, 1024, 'the excerpt stops at 1 KiB')
  t.equal(report.response?.bodyComplete, false)
})

t.test('a final status whose body ends with the connection', async (t) => {
  const { port } = await rawServer(t, (socket) => { socket.end('HTTP/1.1 404 Not Found\r\nServer: raw\r\n\r\nno such thing') })
  const { report } = await probeJson(`http://127.0.0.1:${port}/upload`)
  t.equal(report.response?.status, 404)
  t.equal(report.response?.bodyExcerpt, 'no such thing')
  t.equal(report.response?.bodyComplete, true)
})

t.test('a final status whose body is slower than the timeout', async (t) => {
  const { port } = await rawServer(t, (socket) => { socket.write('HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\npartial') })
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/upload`, '-t', '200')
  t.equal(code, 0)
  t.equal(report.response?.status, 500)
  t.equal(report.response?.bodyExcerpt, 'partial')
  t.equal(report.response?.bodyComplete, false)
})

t.test('a 2xx without asking for the body, and a HEAD request', async (t) => {
  const { port } = await rawServer(t, (socket) => { socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n') })
  const { report } = await probeJson(`http://127.0.0.1:${port}/`, '-X', 'HEAD')
  t.equal(report.response?.status, 200)
  t.equal(report.response?.bodyComplete, true, 'no body after a HEAD')
  t.match(report.advice.join('\n'), /without asking for the body/)
})

t.test('connection errors: exit code 1 with a clear message', async (t) => {
  t.test('closed without an answer', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.end() })
    const { code, report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.equal(code, 1)
    t.equal(report.outcome, 'connection-error')
    t.equal(report.error?.code, 'closed')
    t.match(report.error?.message, /closed the connection without an answer/)
    t.match(report.advice.join('\n'), /dropped the connection/)
  })
  t.test('reset without an answer', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.resetAndDestroy() })
    const { code, report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.equal(code, 1)
    t.equal(report.error?.code, 'ECONNRESET')
    t.match(report.error?.message, /reset the connection/)
  })
  t.test('not HTTP', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.write('SSH-2.0-OpenSSH\r\n') })
    const { code, report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.equal(code, 1)
    t.equal(report.error?.code, 'malformed')
    t.match(report.error?.message, /did not answer in HTTP\/1\.x; first bytes: "SSH-2\.0/)
    t.match(report.advice.join('\n'), /does not speak HTTP\/1\.1/)
  })
  t.test('a TLS alert on an http:// URL', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.write(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])) })
    const { report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.match(report.error?.message, /looks like TLS: try https/)
  })
  t.test('a bad status line', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.write('HTTP/9 what\r\n\r\n') })
    const { report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.equal(report.error?.code, 'malformed')
  })
  t.test('an endless response head', async (t) => {
    const { port } = await rawServer(t, (socket) => { socket.write(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70 * 1024)}`) })
    const { report } = await probeJson(`http://127.0.0.1:${port}/`)
    t.equal(report.error?.code, 'malformed')
    t.match(report.error?.message, /over 65536 bytes/)
  })
  t.test('nothing listens', async (t) => {
    const app = Fastify()
    const free = await listenOnLoopback(t, app)
    await app.close()
    const { code, report } = await probeJson(`http://127.0.0.1:${free}/`)
    t.equal(code, 1)
    t.equal(report.error?.code, 'ECONNREFUSED')
    t.match(report.error?.message, /nothing listens there/)
    t.match(report.advice.join('\n'), /No HTTP exchange/)
  })
})
