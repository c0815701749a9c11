// curl, the program, against the example upload app: HTTP/1.1 with the
// `Expect: 100-continue` curl adds by itself (to every `-T` upload, to other
// bodies over 1 MiB), and HTTP/2 with prior knowledge (cleartext), where curl
// adds none unless told to.
import t, { type Test } from 'tap'
import { accepted, cases, checkWaitsWithExpect, curlUpload as upload, curlVersion, lostAnswer, unauthorized, type CurlResult, type Upload } from '../helpers/curl'
import { bodySent, h2BodySent, MiB, recordFacts, startUploadApp, tempDir, type BodySent, type CaseFacts, type ClientFacts, type Observed } from '../helpers/interop'
import { requireTool } from '../helpers/tools'

/** A refused upload curl sent without waiting: by its own count (the server may stop reading before the bytes arrive). */
/** What curl reported: the status, or the error it lost the answer to. */
const reportedBy = (r: CurlResult): string => lostAnswer(r) ? `error ${r.error ?? ''}` : String(r.status)
const sentByCurl = (tries: Array<Observed<CurlResult>>): BodySent => tries.some((r) => r.result.uploaded > 0) ? 'at once' : 'none'

t.test('curl, HTTP/1.1: Expect on -T uploads and bodies over 1 MiB; waits; sends no body when refused', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await startUploadApp(t)
  const dir = tempDir(t)
  const facts: CaseFacts[] = []
  const client = await curlVersion()
  const row1 = (): ClientFacts => ({
    id: '10-curl-http1',
    client,
    protocol: 'HTTP/1.1',
    expectWhen: '`-T`: always; `--data-binary`, `-d`, `-F`: bodies over 1 MiB',
    notes: 'Sends the body anyway if no answer comes within 1 s (`--expect100-timeout`). `-H \'Expect:\'` turns it off.',
    cases: facts
  })
  const check = (t: Test, c: Upload, r: Observed<CurlResult>, expectSent: boolean, label: string): void => {
    t.equal(r.requests[0]?.expect, expectSent ? '100-continue' : undefined, `${label}: Expect ${expectSent ? 'sent' : 'not sent'}`)
    t.equal(r.result.status, c.answered, `${label}: curl reports ${c.answered}`)
    t.equal(r.result.error, undefined, `${label}: curl exits 0`)
    if (c.answered < 300) {
      t.equal(r.result.continued, expectSent, `${label}: ${expectSent ? '100 first' : 'no 100'}`)
      t.equal(r.result.uploaded, c.bytes, `${label}: curl uploaded the whole body`)
      t.equal(r.bodyBytes, c.bytes, `${label}: the server read it all`)
    } else {
      t.notOk(r.result.continued, `${label}: no 100`)
      t.equal(r.result.uploaded, 0, `${label}: curl uploaded nothing`)
      t.equal(r.bodyBytes, 0, `${label}: the server read only the head`)
    }
    facts.push({ case: label, answered: c.answered, reported: String(r.result.status), expectSent, continueSeen: r.result.continued, body: bodySent(r.bodyBytes, c.bytes) })
  }

  for (const c of cases) check(t, c, await upload(server, dir, c, '-T'), true, `-T, ${c.label}`)
  const tiny: Upload = { label: 'accepted (1 KiB)', path: '/files/tiny.bin', bytes: 1024, type: 'application/octet-stream', authorized: true, answered: 201 }
  check(t, tiny, await upload(server, dir, tiny, '-T'), true, '-T, accepted (1 KiB)')
  const oneMiB: Upload = { label: 'accepted (1 MiB)', path: '/files/small.bin', bytes: MiB, type: 'application/octet-stream', authorized: true, answered: 201 }
  check(t, oneMiB, await upload(server, dir, oneMiB, '--data-binary'), false, '--data-binary, accepted (1 MiB)')
  check(t, unauthorized, await upload(server, dir, unauthorized, '--data-binary'), true, `--data-binary, ${unauthorized.label}`)
  recordFacts(t, row1())
})

t.test('curl, HTTP/2 (prior knowledge): no Expect of its own; waits when given one', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await startUploadApp(t, { http2: true })
  const dir = tempDir(t)
  const facts: CaseFacts[] = []
  const client = await curlVersion()
  const row2 = (): ClientFacts => ({
    id: '11-curl-http2',
    client,
    protocol: 'HTTP/2 (cleartext, `--http2-prior-knowledge`)',
    expectWhen: "only when given `-H 'Expect: 100-continue'`",
    notes: '`--data-binary`. Without the header it sends its initial window (64 KiB) at once and still reports the refusal. ' +
      'curl 7.88 now and then reports an answer given before the end of its request as error 52 or 92: it discards the ' +
      'answer when the server then sends RST_STREAM(NO_ERROR), as Node does, with or without the plugin (RFC 9113 §8.1 says clients must keep it).',
    cases: facts
  })
  const streamedFacts: CaseFacts[] = []
  const row3 = (): ClientFacts => ({
    id: '13-curl-http2-upload-file',
    client: `${client}, \`-T\` (a streamed file)`,
    protocol: 'HTTP/2 (cleartext, `--http2-prior-knowledge`)',
    expectWhen: "only when given `-H 'Expect: 100-continue'`",
    notes: 'Does not wait even when given the header (now and then the answer comes before it has written anything); the refusal races the upload, and may be lost as error 52 or 92 (see above).',
    cases: streamedFacts
  })
  const h2 = ['--http2-prior-knowledge']

  // On its own: no Expect, the body starts at once; the refusal still reaches curl.
  const plain = await upload(server, dir, accepted, '--data-binary', h2)
  t.equal(plain.requests[0]?.httpVersion, '2.0')
  t.equal(plain.requests[0]?.expect, undefined, 'curl sends no Expect over HTTP/2 by itself')
  t.equal(plain.result.status, 200)
  t.equal(plain.result.uploaded, 3 * MiB)
  facts.push({ case: 'accepted (3 MiB), no header', answered: 200, reported: String(plain.result.status), expectSent: false, continueSeen: plain.result.continued, body: h2BodySent(plain.bytesRead, 3 * MiB) })
  // Without the header curl does not wait: the refusal races its upload.
  const refused = await upload(server, dir, unauthorized, '--data-binary', h2)
  t.equal(refused.requests[0]?.expect, undefined)
  t.equal(refused.requests[0]?.status, 401, 'the server answered 401')
  t.ok(refused.result.uploaded < 3 * MiB, `curl sent ${refused.result.uploaded} body bytes at once, and stopped`)
  t.ok(refused.result.status === 401 || lostAnswer(refused.result), `curl reported the 401, or lost it to the reset (error 52/92): ${refused.result.status} ${refused.result.error ?? ''}`)
  facts.push({ case: 'unauthorized, no header', answered: 401, reported: reportedBy(refused.result), expectSent: false, body: sentByCurl([refused]), race: true })

  // Told to send Expect: it waits for the answer.
  await checkWaitsWithExpect(t, server, dir, h2, facts)
  const expect = [...h2, '-H', 'expect: 100-continue']

  // -T with the header: curl does not wait, so the refusal races its upload.
  const streamed = await upload(server, dir, unauthorized, '-T', expect)
  t.equal(streamed.requests[0]?.expect, '100-continue')
  t.equal(streamed.requests[0]?.status, 401, '-T: the server answered 401')
  t.notOk(streamed.result.continued, '-T: no 100')
  t.ok(streamed.result.uploaded < 3 * MiB, `-T: curl sent ${streamed.result.uploaded} body bytes without a 100, and stopped`)
  t.ok(streamed.result.status === 401 || lostAnswer(streamed.result), `-T: curl reported the 401, or lost it to the reset (error 52/92): ${streamed.result.status} ${streamed.result.error ?? ''}`)
  streamedFacts.push({ case: 'unauthorized, with the header', answered: 401, reported: reportedBy(streamed.result), expectSent: true, continueSeen: false, body: sentByCurl([streamed]), race: true })
  recordFacts(t, row2())
  recordFacts(t, row3())
})
