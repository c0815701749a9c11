// Framing the RFC forbids, over a real socket: a Transfer-Encoding whose final
// coding is not `chunked` gets 400 and the connection closes, and nothing after
// it is ever read as a request. With Expect, or with insecureHTTPParser (which
// would read such a body to the close), the plugin answers before any route
// code. Without Expect, Node's strict parser answers itself, after handing the
// head to the app as it does without the plugin: requests without Expect meet
// nothing of the plugin's.
import t from 'tap'
import { listen, openConnection, until } from '../../helpers/server'
import { head } from '../../helpers/raw-client'

const cases: Array<[string, Record<string, string | number>]> = [
  ['gzip', { 'transfer-encoding': 'gzip' }],
  ['gzip with Content-Length', { 'transfer-encoding': 'gzip', 'content-length': 5 }],
  ['chunked, gzip', { 'transfer-encoding': 'chunked, gzip' }],
  ['identity', { 'transfer-encoding': 'identity' }]
]

for (const parser of ['strict', 'lenient'] as const) {
  for (const expect of [false, true]) {
    t.test(`${parser} parser${expect ? ', with Expect' : ''}: 400 and close, no route code`, async (t) => {
      let ran = 0
      let answeredByPlugin = 0
      const server = await listen(t, (app) => {
        app.put('/up', { onRequest: async () => { ran++ } }, async (request) => `got ${String(request.body)}`)
        app.get('/smuggled', async () => { ran++; return 'smuggled' })
      }, { server: parser === 'lenient' ? { http: { insecureHTTPParser: true } } as object : {} })
      for (const [label, fields] of cases) {
        const { socket, received, closed } = await openConnection(server.port)
        t.teardown(() => socket.destroy())
        const headers = { host: 'x', 'content-type': 'text/plain', ...fields, ...(expect ? { expect: '100-continue' } : {}) }
        // What follows the head: were the body taken as ended here, the next bytes would be a request.
        socket.write(head('PUT /up HTTP/1.1', headers) + 'hello' + head('GET /smuggled HTTP/1.1', { host: 'x' }))
        await until(t, `${label}: the server closes`, () => closed())
        t.match(received(), /^HTTP\/1\.1 400 /, `${label}: 400`)
        if (received().includes('FST_ERR_EXPECT_INVALID_FRAMING')) answeredByPlugin++
        t.notMatch(received(), /100 Continue|smuggled|got /, `${label}: nothing else`)
      }
      if (parser === 'lenient' || expect) {
        t.equal(ran, 0, 'no route code ran')
        const lines = server.logs.filter((l) => l.expect?.reason === 'framing')
        t.ok(answeredByPlugin > 0, 'the plugin answered some (Node\'s strict parser answers the rest itself)')
        t.equal(lines.length, answeredByPlugin, 'each of its refusals logged once, as every refusal is')
        t.match(lines[0]?.expect, { verdict: 'refused', statusCode: 400 })
      }
    })
  }
}

t.test('lenient parser: a valid chunked upload still works, and keeps its connection', async (t) => {
  const server = await listen(t, (app) => {
    app.put('/up', async (request) => `got ${String(request.body)}`)
  }, { server: { http: { insecureHTTPParser: true } } as object })
  const { socket, received } = await openConnection(server.port)
  t.teardown(() => socket.destroy())
  const upload = head('PUT /up HTTP/1.1', { host: 'x', 'content-type': 'text/plain', 'transfer-encoding': 'gzip, chunked' }) + '5\r\nhello\r\n0\r\n\r\n'
  socket.write(upload + upload)
  await until(t, 'both answered', () => received().split('got hello').length === 3)
  t.notOk(socket.destroyed)
})
