// Node's own clients against the example upload app: node:http over HTTP/1.1
// and node:http2 over cleartext HTTP/2, each sending `expect: 100-continue` and
// writing the body on the 'continue' event, as Node's documentation shows.
import t from 'tap'
import { checkHttp2Uploads, httpUpload } from '../helpers/node-clients'
import { bodySent, recordFacts, startUploadApp, UPLOAD_CASES, type CaseFacts, type ClientFacts } from '../helpers/interop'

t.test('node:http: sends Expect when told, waits for the continue event, sends no body when refused', async (t) => {
  const server = await startUploadApp(t)
  const facts: CaseFacts[] = []
  const row1 = (): ClientFacts => ({
    id: '20-node-http',
    client: `node:http (Node ${process.version})`,
    protocol: 'HTTP/1.1',
    expectWhen: 'when the code sets the `expect` header',
    notes: "The code waits: it writes the body in the request's `continue` event and takes the `response` event instead when refused. Writing the body at once sends it whatever the answer.",
    cases: facts
  })
  for (const c of UPLOAD_CASES) {
    const { result, requests, bodyBytes } = await server.observe(() => httpUpload(server.origin, c.path, c.headers, Buffer.alloc(c.bytes, 1)))
    t.equal(requests[0]?.expect, '100-continue', `${c.label}: Expect sent`)
    t.equal(result.status, c.answered, `${c.label}: node:http reports ${c.answered}`)
    t.equal(result.error, undefined, `${c.label}: no error`)
    if (c.answered < 300) {
      t.ok(result.continued, `${c.label}: continue event`)
      t.equal(bodyBytes, c.bytes, `${c.label}: the server read the body`)
      t.equal(JSON.parse(result.body).bytes, c.bytes, `${c.label}: the route counted it`)
    } else {
      t.notOk(result.continued, `${c.label}: no continue event`)
      t.equal(bodyBytes, 0, `${c.label}: the server read only the head`)
    }
    facts.push({ case: c.label, answered: c.answered, reported: String(result.status), expectSent: true, continueSeen: result.continued, body: bodySent(bodyBytes, c.bytes) })
  }
  recordFacts(t, row1())
})

t.test('node:http2 (cleartext): sends Expect when told, waits for the continue event, sends no body when refused', async (t) => {
  const server = await startUploadApp(t, { http2: true })
  const facts: CaseFacts[] = []
  const row2 = (): ClientFacts => ({
    id: '21-node-http2',
    client: `node:http2 (Node ${process.version})`,
    protocol: 'HTTP/2 (cleartext)',
    expectWhen: 'when the code sets the `expect` header',
    notes: "As node:http: the stream's `continue` event; after a refusal the server's RST_STREAM(NO_ERROR) closes the stream and the response stands.",
    cases: facts
  })
  await checkHttp2Uploads(t, server, facts)
  recordFacts(t, row2())
})
