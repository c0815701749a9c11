// HTTP/2 over TLS (ALPN h2), as browsers and most HTTP/2 clients meet it, with a
// certificate for 127.0.0.1 made by openssl for this run: node:http2 and curl
// (verifying the certificate), accepted and refused uploads, no body sent on
// refusal. Over TLS the server counts encrypted bytes (handshake included).
import t from 'tap'
import { accepted, cases as curlCases, curlUpload, curlVersion, lostAnswer, skip as skipCurl, triesUntilReported, type CurlResult } from './helpers/curl'
import { http2Upload } from './helpers/node-clients'
import {
  findProgram, h2BodySent, H2_HEAD_ONLY_BOUND, makeCertificate, recordFacts, startUploadApp, tempDir, UPLOAD_CASES,
  type CaseFacts, type Observed
} from './helpers/interop'

const skip = findProgram('openssl') === undefined ? 'openssl is not installed: no certificate to test HTTP/2 over TLS with' : false

t.test('HTTP/2 over TLS', { skip }, async (t) => {
  const { key, cert, certFile } = await makeCertificate(t)
  const server = await startUploadApp(t, { http2: true, tls: { key, cert } })
  t.match(server.origin, /^https:/)

  t.test('node:http2: waits for continue; refused uploads send no body', async (t) => {
    const facts: CaseFacts[] = []
    recordFacts(t, () => ({
      id: '22-node-http2-tls',
      client: `node:http2 (Node ${process.version})`,
      protocol: 'HTTP/2 over TLS',
      expectWhen: 'when the code sets the `expect` header',
      notes: 'Same as cleartext HTTP/2.',
      cases: facts
    }))
    for (const c of UPLOAD_CASES) {
      const { result, requests, bytesRead } = await server.observe(() => http2Upload(server.origin, c.path, c.headers, Buffer.alloc(c.bytes, 1), { ca: cert }))
      t.equal(requests[0]?.httpVersion, '2.0')
      t.equal(requests[0]?.expect, '100-continue', `${c.label}: Expect sent`)
      t.equal(result.status, c.answered, `${c.label}: node:http2 reports ${c.answered}`)
      t.equal(result.error, undefined, `${c.label}: no error`)
      if (c.answered < 300) {
        t.ok(result.continued, `${c.label}: continue event`)
        t.ok(bytesRead > c.bytes, `${c.label}: the server read the body`)
        t.equal(JSON.parse(result.body).bytes, c.bytes, `${c.label}: the route counted it`)
      } else {
        t.notOk(result.continued, `${c.label}: no continue event`)
        t.equal(result.written, 0)
        t.ok(bytesRead < H2_HEAD_ONLY_BOUND, `${c.label}: the server read ${bytesRead} bytes (handshake and head), no DATA`)
      }
      facts.push({ case: c.label, answered: c.answered, reported: String(result.status), expectSent: true, continueSeen: result.continued, body: h2BodySent(bytesRead, c.bytes) })
    }
  })

  t.test('curl --http2 over TLS: waits when given Expect; refused uploads send no body', { skip: skipCurl }, async (t) => {
    const dir = tempDir(t)
    const facts: CaseFacts[] = []
    const client = await curlVersion()
    recordFacts(t, () => ({
      id: '12-curl-http2-tls',
      client,
      protocol: 'HTTP/2 over TLS (`--http2`)',
      expectWhen: "only when given `-H 'Expect: 100-continue'`",
      notes: 'As over cleartext HTTP/2, including the occasional error 52 or 92 for an answer given before the end of its request.',
      cases: facts
    }))
    const tls = ['--http2', '--cacert', certFile]
    const own = await curlUpload(server, dir, accepted, '--data-binary', tls)
    t.equal(own.requests[0]?.httpVersion, '2.0', 'ALPN chose HTTP/2')
    t.equal(own.requests[0]?.expect, undefined, 'no Expect of its own')
    t.equal(own.result.status, 200)
    facts.push({ case: 'accepted (3 MiB), no header', answered: 200, reported: String(own.result.status), expectSent: false, continueSeen: own.result.continued, body: h2BodySent(own.bytesRead, accepted.bytes) })
    for (const c of curlCases) {
      const tries = await triesUntilReported(c.answered, () => curlUpload(server, dir, c, '--data-binary', [...tls, '-H', 'expect: 100-continue']))
      for (const { result, requests, bytesRead } of tries) {
        t.equal(requests[0]?.expect, '100-continue', c.label)
        if (c.answered < 300) {
          t.ok(result.continued, `${c.label}: 100 first`)
          t.equal(result.uploaded, c.bytes)
          t.ok(bytesRead > c.bytes, `${c.label}: the server read the body`)
        } else {
          t.notOk(result.continued, `${c.label}: no 100`)
          t.equal(result.uploaded, 0, `${c.label}: curl uploaded nothing`)
          t.ok(bytesRead < H2_HEAD_ONLY_BOUND, `${c.label}: the server read ${bytesRead} bytes (handshake and head), no DATA`)
          t.ok(result.status === c.answered || lostAnswer(result), `${c.label}: curl reports ${c.answered} (or loses it: ${result.status}, error ${result.error})`)
        }
      }
      const { result, bytesRead } = tries[tries.length - 1] as Observed<CurlResult>
      t.equal(result.status, c.answered, `${c.label}: curl reports ${c.answered}`)
      facts.push({ case: `${c.label}, with the header`, answered: c.answered, reported: String(result.status), expectSent: true, continueSeen: result.continued, body: h2BodySent(bytesRead, c.bytes) })
    }
  })
})
