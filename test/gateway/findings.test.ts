// Issue 15, findings 1-8 and the behaviours found safe, each over raw TCP against
// the gateway forms (test/gateway/forms.ts) with a byte-logging upstream: exactly
// one upstream request per client request (or none, for a refusal), and the exact
// bytes that went up.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import { byteLoggingUpstream, defaultAnswer, exchange, type ByteLog } from '../helpers/gateway'
import { forwardExpectation } from '../../gateway/index'
import { expectPlugin } from '../helpers/server'
import { startForm, type FormName, type RunningGateway } from './forms'

const FORMS: readonly FormName[] = ['proxy', 'route', 'node']
const SMUGGLED = 'GET /admin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n'

/** Runs `check` against each gateway form, each with its own byte-logging upstream, closed (and so complete) before `check`. */
async function eachForm (t: Test, run: (t: Test, gateway: RunningGateway, upstream: ByteLog) => Promise<void>, forms: readonly FormName[] = FORMS): Promise<void> {
  for (const form of forms) {
    await t.test(form, async (t) => {
      const upstream = await byteLoggingUpstream(t)
      const gateway = await startForm(t, form, upstream.origin)
      await run(t, gateway, upstream)
    })
  }
}

async function closeBoth (gateway: RunningGateway, upstream: ByteLog): Promise<void> {
  await gateway.close()
  await upstream.allClosed()
}

const hostOf = (upstream: ByteLog): string => `127.0.0.1:${upstream.port}`

t.test('finding 1: a body on GET, HEAD, DELETE, OPTIONS with Transfer-Encoding and Expect goes up chunked, as one request', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    const methods = ['GET', 'HEAD', 'DELETE', 'OPTIONS']
    for (const method of methods) {
      const r = await exchange(gateway.port,
        `${method} ${gateway.path('slow')} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ok\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n`,
        `3a\r\n${SMUGGLED}\r\n0\r\n\r\n`, { waitForContinue: true, head: method === 'HEAD' })
      t.equal(r.status, 200, `${method}: the upstream's answer`)
      t.same(r.informational, [100], `${method}: the upstream's 100, relayed`)
    }
    await closeBoth(gateway, upstream)
    t.same(upstream.requests.map((logged) => [logged.head, logged.body.toString('latin1')]), methods.map((method) => [
      `${method} /upload/slow HTTP/1.1\r\nhost: ${hostOf(upstream)}\r\nauthorization: Bearer ok\r\ntransfer-encoding: chunked\r\nexpect: 100-continue\r\nConnection: keep-alive`,
      SMUGGLED
    ]), 'one request per client request, chunked, with exactly the client\'s body; no GET /admin')
    t.same(upstream.leftovers.filter((bytes) => bytes.length > 0), [], 'no byte left over')
  })
})

t.test('finding 2: a Connection field naming content-length (or transfer-encoding) gets 400, nothing goes up', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    const body = SMUGGLED.padEnd(59, 'x')
    for (const [connection, framing, payload] of [
      ['keep-alive, content-length', 'Content-Length: 59', body],
      ['Transfer-Encoding', 'Transfer-Encoding: chunked', `3b\r\n${body}\r\n0\r\n\r\n`]
    ] as const) {
      for (const expect of [false, true]) {
        const r = await exchange(gateway.port, `GET ${gateway.path('a')} HTTP/1.1\r\nHost: gw\r\nConnection: ${connection}\r\n${framing}\r\n${expect ? 'Expect: 100-continue\r\n' : ''}\r\n`, payload, { waitForContinue: expect })
        t.equal(r.status, 400, `Connection: ${connection}${expect ? ', with Expect' : ''}`)
        t.match(r.body, /framing intact \(Connection names (content-length|transfer-encoding)\)/)
        t.same(r.informational, [], 'no 100')
      }
    }
    await closeBoth(gateway, upstream)
    t.same(upstream.bytes, [], 'no upstream connection at all')
  })
})

t.test('finding 3: after an attack on the shared upstream connection, another client gets its own response', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    const inner = 'GET /upload/SMUGGLED HTTP/1.1\r\nHost: x\r\nX-Pad: 1234567890\r\n\r\n'
    const attack = await exchange(gateway.port,
      `GET ${gateway.path('attack')} HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n`,
      `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`)
    const victim = await exchange(gateway.port,
      `PUT ${gateway.path('victim')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello', { waitForContinue: true })
    t.equal(attack.fields['x-upstream-target'], '/upload/attack', 'the attacker got the answer to its own request')
    t.equal(victim.status, 200)
    t.equal(victim.fields['x-upstream-target'], '/upload/victim', 'the victim got the answer to its own request')
    await closeBoth(gateway, upstream)
    t.same(upstream.requests.map((logged) => [logged.connection, logged.target, logged.body.toString('latin1')]), [
      [0, '/upload/attack', inner],
      [0, '/upload/victim', 'hello']
    ], 'two requests, on the one shared upstream connection, each with its own body')
  })
})

t.test('finding 4: without Expect, a chunked GET whose body is a request reaches the upstream as one request', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    const r = await exchange(gateway.port, `GET ${gateway.path('a')} HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n`, `3a\r\n${SMUGGLED}\r\n0\r\n\r\n`)
    t.equal(r.status, 200)
    await closeBoth(gateway, upstream)
    t.same(upstream.requests.map((logged) => [logged.head, logged.body.toString('latin1')]), [[
      `GET /upload/a HTTP/1.1\r\nhost: ${hostOf(upstream)}\r\ntransfer-encoding: chunked\r\nConnection: keep-alive`, SMUGGLED
    ]])
    // And with a length: the whole connection, byte for byte.
  })
  await eachForm(t, async (t, gateway, upstream) => {
    await exchange(gateway.port, `DELETE ${gateway.path('b')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 58\r\n\r\n`, SMUGGLED)
    await closeBoth(gateway, upstream)
    t.same(upstream.bytes.map((bytes) => bytes.toString('latin1')), [
      `DELETE /upload/b HTTP/1.1\r\nhost: ${hostOf(upstream)}\r\ncontent-length: 58\r\nConnection: keep-alive\r\n\r\n${SMUGGLED}`
    ], 'the exact bytes on the upstream connection')
  })
})

t.test('finding 5: paths that climb out of the prefix get 400, nothing goes up', async (t) => {
  const upstream = await byteLoggingUpstream(t)
  // The route of the issue: the app builds the url from a decoded parameter, unencoded.
  const app = Fastify()
  app.register(expectPlugin)
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
    scope.put<{ Params: { name: string } }>('/files/:name', (request, reply) => forwardExpectation(request, reply, { upstream: upstream.origin, url: '/upload/' + request.params.name }))
    scope.put('/raw/*', (request, reply) => forwardExpectation(request, reply, { upstream: upstream.origin }))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as AddressInfo).port
  for (const path of ['/files/..%2f..%2fecho-headers', '/files/%2e%2e', '/files/..%5c..%5cx', '/raw/%2e%2e/%2e%2e/echo-headers', '/raw/a/%2E%2e/x', '/raw/..%2fecho-headers']) {
    const r = await exchange(port, `PUT ${path} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello', { waitForContinue: true })
    t.equal(r.status, 400, path)
    t.match(r.body, /FST_ERR_EXPECT_GATEWAY_TARGET/)
    t.equal(r.bodySent, false, 'refused before the 100')
  }
  // The same through every form (the proxy form: @fastify/http-proxy's own check comes first).
  await eachForm(t, async (t, gateway, inner) => {
    for (const name of ['..%2f..%2fecho-headers', '%2e%2e', '%2e%2e%2f%2e%2e%2fecho-headers', '..%5cx']) {
      const r = await exchange(gateway.port, `PUT ${gateway.path(name)} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\n`, 'hello')
      t.equal(r.status, 400, gateway.path(name))
    }
    await closeBoth(gateway, inner)
    t.same(inner.bytes, [], 'no upstream connection')
  })
  await app.close()
  await upstream.allClosed()
  t.same(upstream.bytes, [], 'no upstream connection')
})

t.test('finding 6: examples/gateway.js forwards only to its upstream: absolute form and "/\\host" get 400', async (t) => {
  const other = await byteLoggingUpstream(t)
  await eachForm(t, async (t, gateway, upstream) => {
    for (const target of [`http://127.0.0.1:${other.port}/files/x`, `/\\127.0.0.1:${other.port}/x`, `//127.0.0.1:${other.port}/x`, `127.0.0.1:${other.port}`]) {
      const r = await exchange(gateway.port, `PUT ${target} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\n`, 'hello')
      t.equal(r.status, 400, target)
      t.notMatch(r.body, String(other.port), 'the other address is not echoed')
    }
    await closeBoth(gateway, upstream)
    t.same(upstream.bytes, [], 'nothing to the configured upstream either')
  }, ['node'])
  t.same(other.bytes, [], 'no connection to the other port')
})

t.test('finding 7: a 101, 102 or 103 from the upstream gives 502 at once, and the upstream socket is destroyed', async (t) => {
  for (const [interim, fields] of [
    ['101 Switching Protocols', 'upgrade: websocket\r\nconnection: upgrade\r\n'],
    ['101 Switching Protocols', ''],
    ['102 Processing', ''],
    ['103 Early Hints', 'link: </a.css>; rel=preload\r\n']
  ] as const) {
    for (const form of FORMS) {
      await t.test(`${interim}${fields === '' ? '' : ' with fields'}, ${form}`, async (t) => {
        const upstream = await byteLoggingUpstream(t, (_request, socket) => {
          socket.write(`HTTP/1.1 ${interim}\r\n${fields}\r\n`)
          return true
        })
        // Neither wait could produce the answer: only the interim response can.
        const gateway = await startForm(t, form, upstream.origin, { timeout: 600_000, continueTimeout: 600_000 })
        const r = await exchange(gateway.port, `PUT ${gateway.path('up')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\n`, 'hello', { bound: 60_000 })
        t.equal(r.status, 502)
        t.match(r.body, `interim response ${interim.slice(0, 3)}`)
        t.notMatch(r.raw, /upgrade|link:/i, 'nothing of it relayed')
        await upstream.allClosed() // the gateway still runs: it destroyed the upstream socket itself
        t.equal(upstream.requests.length, 1)
      })
    }
  }
})

t.test('finding 7: timeout counts from the upstream\'s last byte, its 100 included: a 100 then silence is a 504', async (t) => {
  for (const form of FORMS) {
    await t.test(form, async (t) => {
      // The byte-logging upstream answers the expectation with 100, reads the body, then says nothing.
      const upstream = await byteLoggingUpstream(t, () => true)
      const gateway = await startForm(t, form, upstream.origin, { timeout: 300, continueTimeout: 600_000 })
      const r = await exchange(gateway.port, `PUT ${gateway.path('quiet')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello', { waitForContinue: true, bound: 60_000 })
      t.same(r.informational, [100], 'the upstream\'s 100, relayed')
      t.equal(r.status, 504)
      await upstream.allClosed() // the gateway still runs: it closed the upstream socket itself
      t.same(upstream.requests.map((logged) => logged.body.toString()), ['hello'], 'the body went up once')
    })
  }
})

t.test('finding 8: no address in errors, no Proxy-* fields upstream, Connection-named fields removed before the app adds its own', async (t) => {
  for (const form of FORMS) {
    await t.test(`unreachable upstream, ${form}`, async (t) => {
      const closed = net.createServer()
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
      const port = (closed.address() as AddressInfo).port
      await new Promise((resolve) => closed.close(resolve))
      const gateway = await startForm(t, form, `http://127.0.0.1:${port}`)
      const r = await exchange(gateway.port, `PUT ${gateway.path('x')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello', { waitForContinue: true })
      t.equal(r.status, 502)
      t.notMatch(r.raw, String(port), 'the client does not read the upstream\'s port')
      t.notMatch(r.raw, '127.0.0.1')
      t.match(gateway.logs.join('\n'), String(port), 'the log has it')
    })
  }
  await eachForm(t, async (t, gateway, upstream) => {
    await exchange(gateway.port, `PUT ${gateway.path('p')} HTTP/1.1\r\nHost: gw\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Foo: 1\r\nAuthorization: Bearer ok\r\nConnection: close, authorization\r\nContent-Length: 5\r\n\r\n`, 'hello')
    await closeBoth(gateway, upstream)
    t.same(upstream.bytes.map((bytes) => bytes.toString('latin1')), [
      `PUT /upload/p HTTP/1.1\r\nhost: ${hostOf(upstream)}\r\ncontent-length: 5\r\nConnection: keep-alive\r\n\r\nhello`
    ], 'no Proxy-* field; Authorization named in Connection removed (RFC 9110 §7.6.1, as reply-from)')
  })
  await t.test('a field the app adds survives a Connection that names it', async (t) => {
    const upstream = await byteLoggingUpstream(t)
    // Its own keep-alive agent, destroyed at the end, as the gateway forms have (forms.ts): with
    // Node's global agent, the upstream connection stayed open until its keep-alive timeout (5 s).
    const agent = new http.Agent({ keepAlive: true })
    const app = Fastify()
    app.register(expectPlugin)
    app.register(async (scope) => {
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', (_request, _payload, done) => { done(null) })
      scope.put('/upload/*', (request, reply) => forwardExpectation(request, reply, {
        upstream: upstream.origin,
        agent,
        rewriteRequestHeaders: (_request, headers) => ({ ...headers, 'x-forwarded-for': request.ip })
      }))
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    await exchange((app.server.address() as AddressInfo).port, 'PUT /upload/q HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: x-forwarded-for\r\nContent-Length: 0\r\n\r\n', '')
    await app.close()
    agent.destroy()
    await upstream.allClosed()
    t.equal(upstream.requests[0]?.fields['x-forwarded-for'], '127.0.0.1', 'the app\'s value, not the client\'s, and not stripped')
  })
})

t.test('found safe: CL with TE, repeated Content-Length, obs-fold get 400 at the gateway, nothing goes up', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    for (const fields of [
      'Content-Length: 5\r\nTransfer-Encoding: chunked',
      'Content-Length: 5\r\nContent-Length: 5',
      'Content-Length: 5\r\nX-Folded: a\r\n b',
      'Content-Length: 5\r\nTransfer-Encoding: gzip, chunked'
    ]) {
      const r = await exchange(gateway.port, `PUT ${gateway.path('x')} HTTP/1.1\r\nHost: gw\r\n${fields}\r\n\r\n`, 'hello')
      t.equal(r.status, 400, JSON.stringify(fields))
    }
    await closeBoth(gateway, upstream)
    t.same(upstream.bytes, [], 'no upstream connection')
  })
})

t.test('found safe: bytes after a framed body are the next request, parsed by the gateway and forwarded as its own', async (t) => {
  await eachForm(t, async (t, gateway, upstream) => {
    const socket = net.connect(gateway.port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
    const ended = new Promise((resolve) => socket.on('close', resolve))
    await new Promise((resolve) => socket.on('connect', resolve))
    socket.write(`PUT ${gateway.path('first')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello` +
      `GET ${gateway.path('second')} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`)
    await ended
    t.equal(received.match(/HTTP\/1\.1 200/g)?.length, 2, 'two answers')
    await closeBoth(gateway, upstream)
    t.same(upstream.requests.map((logged) => [logged.target, logged.body.toString('latin1'), logged.fields.host]), [
      ['/upload/first', 'hello', hostOf(upstream)],
      ['/upload/second', '', hostOf(upstream)]
    ])
  })
})

t.test('found safe: hop-by-hop fields removed both ways; a response Trailer field relayed without it', async (t) => {
  for (const form of FORMS) {
    await t.test(form, async (t) => {
      const upstream = await byteLoggingUpstream(t, (request, socket) => {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=77\r\ntrailer: x-t\r\nproxy-connection: keep-alive\r\nproxy-authenticate: Basic\r\nupgrade: h2c\r\nx-kept: 1\r\nx-upstream-target: ${request.target}\r\n\r\nok`)
        return true
      })
      const gateway = await startForm(t, form, upstream.origin)
      const r = await exchange(gateway.port, `PUT ${gateway.path('h')} HTTP/1.1\r\nHost: gw\r\nTE: trailers\r\nTrailer: x-t\r\nKeep-Alive: timeout=9\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nok`, '')
      t.equal(r.status, 200)
      t.equal(r.fields['x-kept'], '1')
      for (const name of ['trailer', 'proxy-connection', 'proxy-authenticate', 'upgrade']) t.notOk(name in r.fields, `no ${name} to the client`)
      t.not(r.fields['keep-alive'], 'timeout=77', 'not the upstream\'s keep-alive')
      await closeBoth(gateway, upstream)
      t.same(upstream.requests.map((logged) => Object.keys(logged.fields).sort()), [['connection', 'content-length', 'host']], 'only end-to-end fields went up')
    })
  }
})

t.test('found safe: bad upstream responses give 502', async (t) => {
  const answers: Array<[string, string]> = [
    ['a huge header', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(100_000)}\r\ncontent-length: 0\r\n\r\n`],
    ['TE with CL', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['status 099', 'HTTP/1.1 099 Odd\r\ncontent-length: 0\r\n\r\n'],
    ['a bare CR', 'HTTP/1.1 200 OK\r\nx-a: b\rc\r\ncontent-length: 0\r\n\r\n']
  ]
  for (const [label, answer] of answers) {
    for (const form of FORMS) {
      await t.test(`${label}, ${form}`, async (t) => {
        const upstream = await byteLoggingUpstream(t, (_request, socket) => { socket.end(answer); return true })
        const gateway = await startForm(t, form, upstream.origin)
        const r = await exchange(gateway.port, `PUT ${gateway.path('x')} HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\n`, 'ok')
        t.equal(r.status, 502)
        await closeBoth(gateway, upstream)
        t.equal(upstream.requests.length, 1)
      })
    }
  }
})

t.test('found safe: 100 concurrent waiting requests, all answered 504, every socket freed', async (t) => {
  for (const form of FORMS) {
    await t.test(form, async (t) => {
      const sockets = new Set<Socket>()
      // An upstream that reads and never answers.
      const upstream = await byteLoggingUpstream(t, (_request, socket) => { sockets.add(socket); return true })
      const gateway = await startForm(t, form, upstream.origin, { timeout: 500, continueTimeout: 600_000 })
      const all = await Promise.all(Array.from({ length: 100 }, async (_, i) =>
        exchange(gateway.port, `PUT ${gateway.path(`c${i}`)} HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\n`, 'ok', { bound: 60_000 })))
      t.same([...new Set(all.map((r) => r.status))], [504], 'every request: 504')
      await upstream.allClosed() // the gateway still runs: it closed every upstream socket itself
      t.equal(upstream.requests.length, 100, 'one upstream request each')
    })
  }
})

t.test('the default answer names the request', async (t) => {
  t.match(defaultAnswer({ connection: 0, method: 'GET', target: '/x', head: '', fields: {}, body: Buffer.alloc(0), framing: 'none' }, 3), /x-upstream-index: 3\r\nx-upstream-target: \/x/)
})
