// undici (the installed package) and Node's global fetch against the example
// upload app. undici's `expectContinue` request option only acts over HTTP/2
// (lib/dispatcher/client-h2.js: it sets `expect: 100-continue` and writes the
// body on the stream's 'continue' event); over HTTP/1.1 client-h1.js never
// reads it, and an `expect` header is refused outright (lib/core/request.js:
// NotSupportedError 'expect header not supported'), so uploads go at once.
import t from 'tap'
import { Client, errors } from 'undici'
import { bodySent, h2BodySent, H2_HEAD_ONLY_BOUND, recordFacts, sentAtOnce, startUploadApp, UPLOAD_CASES, type CaseFacts, type ClientFacts } from '../helpers/interop'

const undiciVersion: string = require('undici/package.json').version

interface UndiciResult { status: number, body: string, error: string | undefined }

async function undiciUpload (client: Client, path: string, headers: Record<string, string>, body: Buffer): Promise<UndiciResult> {
  try {
    const response = await client.request({ method: 'PUT', path, headers, body, expectContinue: true })
    return { status: response.statusCode, body: await response.body.text(), error: undefined }
  } catch (error) {
    return { status: 0, body: '', error: (error as { code?: string }).code ?? String(error) }
  } finally {
    await client.close()
  }
}

t.test('undici over HTTP/1.1: expectContinue is ignored, the body goes at once; refusals still reach it', async (t) => {
  const server = await startUploadApp(t)
  const facts: CaseFacts[] = []
  const row1 = (): ClientFacts => ({
    id: '30-undici-http1',
    client: `undici ${undiciVersion} (\`request\`, \`Client\`)`,
    protocol: 'HTTP/1.1',
    expectWhen: 'never: `expectContinue: true` is ignored, and an `expect` header is refused with `UND_ERR_NOT_SUPPORTED`',
    notes: 'Sends the whole body at once; the refusal reaches it (measured: the status, with the connection closed or drained by Node). ' +
      'undici also treats a 100 on HTTP/1.1 as a bad response, so it cannot use one.',
    cases: facts
  })
  for (const c of UPLOAD_CASES) {
    const { result, requests, bodyBytes } = await server.observe(() => undiciUpload(new Client(server.origin), c.path, c.headers, Buffer.alloc(c.bytes, 1)))
    t.equal(requests[0]?.expect, undefined, `${c.label}: no Expect, though expectContinue: true`)
    t.equal(result.status, c.answered, `${c.label}: undici reports ${c.answered}`)
    t.equal(result.error, undefined, `${c.label}: no error`)
    t.ok(bodyBytes > 0, `${c.label}: the body went at once (the server read ${bodyBytes} bytes of it)`)
    if (c.answered < 300) t.equal(bodyBytes, c.bytes)
    facts.push({ case: c.label, answered: c.answered, reported: String(result.status), expectSent: false, body: c.answered < 300 ? bodySent(bodyBytes, c.bytes) : sentAtOnce(bodySent(bodyBytes, c.bytes)), ...(c.answered < 300 ? {} : { race: true as const }) })
  }
  const refused = await server.observe(async () => {
    const client = new Client(server.origin)
    try {
      await client.request({ method: 'PUT', path: '/files/cat.png', headers: { expect: '100-continue' }, body: 'x' })
      return 'sent'
    } catch (error) {
      t.ok(error instanceof errors.NotSupportedError)
      return (error as { code?: string }).code
    } finally {
      await client.close()
    }
  })
  t.equal(refused.result, 'UND_ERR_NOT_SUPPORTED', 'an expect header is refused by undici itself')
  t.equal(refused.requests.length, 0, 'nothing reached the server')
  recordFacts(t, row1())
})

t.test("Node's global fetch: cannot send Expect; refusals reach it", async (t) => {
  const server = await startUploadApp(t)
  const facts: CaseFacts[] = []
  const row2 = (): ClientFacts => ({
    id: '32-node-fetch',
    client: `fetch (Node ${process.version}, undici ${process.versions.undici ?? '?'})`,
    protocol: 'HTTP/1.1',
    expectWhen: 'never: an `expect` header fails the call (`TypeError: fetch failed`, cause `expect header not supported`)',
    notes: 'Sends the whole body at once; the refusal reaches it (measured here on loopback).',
    cases: facts
  })
  for (const c of UPLOAD_CASES) {
    const { result, requests, bodyBytes } = await server.observe(async () => {
      // connection: close, so that each upload's connection ends with it and can be measured.
      const response = await fetch(`${server.origin}${c.path}`, { method: 'PUT', headers: { ...c.headers, connection: 'close' }, body: Buffer.alloc(c.bytes, 1) })
      await response.arrayBuffer()
      return response.status
    })
    t.equal(requests[0]?.expect, undefined, `${c.label}: no Expect`)
    t.equal(result, c.answered, `${c.label}: fetch reports ${c.answered}`)
    t.ok(bodyBytes > 0, `${c.label}: the body went at once`)
    facts.push({ case: c.label, answered: c.answered, reported: String(result), expectSent: false, body: c.answered < 300 ? bodySent(bodyBytes, c.bytes) : sentAtOnce(bodySent(bodyBytes, c.bytes)), ...(c.answered < 300 ? {} : { race: true as const }) })
  }
  const refused = await server.observe(() => fetch(`${server.origin}/files/cat.png`, { method: 'PUT', headers: { expect: '100-continue' }, body: 'x' }).then(() => 'sent', (error: Error) => `${error.message}: ${(error.cause as Error | undefined)?.message}`))
  t.equal(refused.result, 'fetch failed: expect header not supported')
  t.equal(refused.requests.length, 0, 'nothing reached the server')
  recordFacts(t, row2())
})

t.test('undici over HTTP/2 (allowH2, cleartext): expectContinue sends Expect and waits', async (t) => {
  const server = await startUploadApp(t, { http2: true })
  const facts: CaseFacts[] = []
  const row3 = (): ClientFacts => ({
    id: '31-undici-http2',
    client: `undici ${undiciVersion} (\`Client\` with \`allowH2\`)`,
    protocol: 'HTTP/2 (cleartext, `useH2c`)',
    expectWhen: 'with `expectContinue: true`',
    notes: "Writes the body on the stream's `continue` event; a refusal is reported as the response.",
    cases: facts
  })
  for (const c of UPLOAD_CASES) {
    // useH2c (HTTP/2 without TLS) is in undici 7's code but not yet in its types.
    const client = new Client(server.origin, { allowH2: true, useH2c: true } as Client.Options)
    const { result, requests, bytesRead } = await server.observe(() => undiciUpload(client, c.path, c.headers, Buffer.alloc(c.bytes, 1)))
    t.equal(requests[0]?.httpVersion, '2.0')
    t.equal(requests[0]?.expect, '100-continue', `${c.label}: Expect sent`)
    t.equal(result.status, c.answered, `${c.label}: undici reports ${c.answered}`)
    t.equal(result.error, undefined, `${c.label}: no error`)
    if (c.answered < 300) {
      t.ok(bytesRead > c.bytes, `${c.label}: the server read the body`)
      t.equal(JSON.parse(result.body).bytes, c.bytes)
    } else {
      t.ok(bytesRead < H2_HEAD_ONLY_BOUND, `${c.label}: the server read ${bytesRead} bytes, no DATA`)
    }
    facts.push({ case: c.label, answered: c.answered, reported: String(result.status), expectSent: true, body: h2BodySent(bytesRead, c.bytes) })
  }
  recordFacts(t, row3())
})
