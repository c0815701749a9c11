// HTTP/2 over TLS (ALPN h2), as browsers and most HTTP/2 clients meet it, with a
// certificate for 127.0.0.1 made by openssl for this run: node:http2 and curl
// (verifying the certificate), accepted and refused uploads, no body sent on
// refusal. Over TLS the server counts encrypted bytes (handshake included).
import t from 'tap'
import { accepted, checkWaitsWithExpect, curlUpload, curlVersion } from '../helpers/curl'
import { checkHttp2Uploads } from '../helpers/node-clients'
import {
  h2BodySent, makeCertificate, recordFacts, startUploadApp, tempDir,
  type CaseFacts, type ClientFacts
} from '../helpers/interop'
import { requireTool } from '../helpers/tools'

t.test('HTTP/2 over TLS', async (t) => {
  // openssl makes the certificate.
  if (requireTool(t, 'openssl') === undefined) return
  const { key, cert, certFile } = await makeCertificate(t)
  const server = await startUploadApp(t, { http2: true, tls: { key, cert } })
  t.match(server.origin, /^https:/)

  t.test('node:http2: waits for continue; refused uploads send no body', async (t) => {
    const facts: CaseFacts[] = []
    const row1 = (): ClientFacts => ({
      id: '22-node-http2-tls',
      client: `node:http2 (Node ${process.version})`,
      protocol: 'HTTP/2 over TLS',
      expectWhen: 'when the code sets the `expect` header',
      notes: 'Same as cleartext HTTP/2.',
      cases: facts
    })
    await checkHttp2Uploads(t, server, facts, { ca: cert })
    recordFacts(t, row1())
  })

  t.test('curl --http2 over TLS: waits when given Expect; refused uploads send no body', async (t) => {
    if (requireTool(t, 'curl') === undefined) return
    const dir = tempDir(t)
    const facts: CaseFacts[] = []
    const client = await curlVersion()
    const row2 = (): ClientFacts => ({
      id: '12-curl-http2-tls',
      client,
      protocol: 'HTTP/2 over TLS (`--http2`)',
      expectWhen: "only when given `-H 'Expect: 100-continue'`",
      notes: 'As over cleartext HTTP/2, including the occasional error 52 or 92 for an answer given before the end of its request.',
      cases: facts
    })
    const tls = ['--http2', '--cacert', certFile]
    const own = await curlUpload(server, dir, accepted, '--data-binary', tls)
    t.equal(own.requests[0]?.httpVersion, '2.0', 'ALPN chose HTTP/2')
    t.equal(own.requests[0]?.expect, undefined, 'no Expect of its own')
    t.equal(own.result.status, 200)
    facts.push({ case: 'accepted (3 MiB), no header', answered: 200, reported: String(own.result.status), expectSent: false, continueSeen: own.result.continued, body: h2BodySent(own.bytesRead, accepted.bytes) })
    await checkWaitsWithExpect(t, server, dir, tls, facts)
    recordFacts(t, row2())
  })
})
