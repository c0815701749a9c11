// The AWS SDK for JavaScript v3 S3 client (@aws-sdk/client-s3) `PutObject`
// against the example app's S3-style route (/s3/:bucket/*: path-style, dummy
// credentials, region us-east-1, the SDK's default checksum behaviour: a CRC32
// of the body in a header, the body itself sent as is).
//
// What the SDK does, from its code (@aws-sdk/middleware-sdk-s3, the
// middleware-expect-continue submodule, and @smithy/node-http-handler):
// `Expect: 100-continue` for bodies of 2 MiB and more (`expectContinueHeader`,
// default 2_097_152; `true`/`false` to force), on a connection of its own; it
// then waits for the 100 or a final answer, at most 6 s (or the request
// timeout), before sending the body anyway. It does not wait at all when the
// caller supplies its own http.Agent (`externalAgent`).
import t from 'tap'
import { createHash } from 'node:crypto'
import http from 'node:http'
import { PutObjectCommand, S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3'
import { bodySent, MiB, recordFacts, S3, sentAtOnce, startUploadApp, type CaseFacts, type ClientFacts, type UploadServer } from '../helpers/interop'

const sdkVersion: string = require('@aws-sdk/client-s3/package.json').version

interface PutCase {
  label: string
  bytes: number
  contentType: string
  accessKeyId?: string
  bucket?: string
  /** Status and S3 error code the app answers with. */
  answered: number
  code?: string
}

const cases: PutCase[] = [
  { label: 'accepted (3 MiB)', bytes: 3 * MiB, contentType: 'image/png', answered: 200 },
  { label: 'too large (9 MiB > 8 MiB)', bytes: 9 * MiB, contentType: 'image/png', answered: 413, code: 'EntityTooLarge' },
  { label: 'wrong type (text/csv)', bytes: 3 * MiB, contentType: 'text/csv', answered: 415, code: 'UnsupportedMediaType' },
  { label: 'unauthorized (unknown access key)', bytes: 3 * MiB, contentType: 'image/png', accessKeyId: 'AKIDUNKNOWN', answered: 403, code: 'AccessDenied' },
  { label: 'no such bucket', bytes: 3 * MiB, contentType: 'image/png', bucket: 'elsewhere', answered: 404, code: 'NoSuchBucket' }
]

interface PutResult {
  status: number | undefined
  /** The error name the SDK threw (S3's error code), if it threw. */
  code: string | undefined
  etag: string | undefined
  attempts: number | undefined
}

/** One PutObject with a client of its own, destroyed afterwards so its connections close. */
async function putObject (server: UploadServer, c: PutCase, config: Partial<S3ClientConfig> = {}): Promise<PutResult> {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `${server.origin}/s3`,
    forcePathStyle: true,
    credentials: { accessKeyId: c.accessKeyId ?? S3.accessKeyId, secretAccessKey: 'dummy-secret' },
    ...config
  })
  try {
    const output = await client.send(new PutObjectCommand({
      Bucket: c.bucket ?? S3.bucket,
      Key: 'photos/2026/cat.png',
      Body: Buffer.alloc(c.bytes, 3),
      ContentType: c.contentType
    }))
    return { status: output.$metadata.httpStatusCode, code: undefined, etag: output.ETag, attempts: output.$metadata.attempts }
  } catch (error) {
    if (!(error instanceof S3ServiceException)) return { status: undefined, code: String(error), etag: undefined, attempts: undefined }
    return { status: error.$metadata.httpStatusCode, code: error.name, etag: undefined, attempts: error.$metadata.attempts }
  } finally {
    client.destroy()
  }
}

const reported = (r: PutResult): string => [r.status, r.code].filter((x) => x !== undefined).join(' ')

t.test('AWS SDK v3 S3 PutObject: Expect for 3 MiB, waits, sends no body when refused', async (t) => {
  const server = await startUploadApp(t)
  const facts: CaseFacts[] = []
  const row1 = (): ClientFacts => ({
    id: '40-aws-sdk-s3',
    client: `AWS SDK for JavaScript v3, @aws-sdk/client-s3 ${sdkVersion} (\`PutObject\`)`,
    protocol: 'HTTP/1.1',
    expectWhen: 'bodies of 2 MiB and more (`expectContinueHeader`)',
    notes: 'Waits up to 6 s for the answer. Reports refusals as S3 errors (`error.name` is the S3 code of an XML error body, ' +
      '`$metadata.httpStatusCode` the status), without retrying them. Default checksums (a CRC32 header) change nothing.',
    cases: facts
  })
  const small = await server.observe(() => putObject(server, { label: 'accepted (1 KiB)', bytes: 1024, contentType: 'image/png', answered: 200 }))
  t.equal(small.requests[0]?.expect, undefined, 'no Expect for 1 KiB')
  t.equal(small.result.status, 200)
  t.equal(small.bodyBytes, 1024)
  facts.push({ case: 'accepted (1 KiB)', answered: 200, reported: reported(small.result), expectSent: false, body: bodySent(small.bodyBytes, 1024) })

  for (const c of cases) {
    const { result, requests, bodyBytes } = await server.observe(() => putObject(server, c))
    const seen = requests[0]
    t.equal(seen?.expect, '100-continue', `${c.label}: Expect sent`)
    t.equal(seen?.url, `/s3/${c.bucket ?? S3.bucket}/photos/2026/cat.png?x-id=PutObject`, `${c.label}: path-style`)
    t.equal(seen?.contentLength, String(c.bytes), `${c.label}: Content-Length, no chunked encoding`)
    t.equal(result.status, c.answered, `${c.label}: the SDK reports ${c.answered}`)
    t.equal(result.attempts, 1, `${c.label}: one attempt`)
    if (c.answered < 300) {
      t.equal(result.code, undefined)
      t.equal(result.etag, `"${createHash('md5').update(Buffer.alloc(c.bytes, 3)).digest('hex')}"`, `${c.label}: the ETag of the stored bytes`)
      t.equal(bodyBytes, c.bytes, `${c.label}: the server read the body`)
    } else {
      t.equal(result.code, c.code, `${c.label}: as ${c.code}`)
      t.equal(bodyBytes, 0, `${c.label}: the server read only the head`)
    }
    facts.push({ case: c.label, answered: c.answered, reported: reported(result), expectSent: true, body: bodySent(bodyBytes, c.bytes) })
  }
  recordFacts(t, row1())
})

t.test('AWS SDK v3 S3 with its own http.Agent: Expect sent, but no wait; refusals still reach it', async (t) => {
  const server = await startUploadApp(t)
  const facts: CaseFacts[] = []
  const row2 = (): ClientFacts => ({
    id: '41-aws-sdk-s3-own-agent',
    client: `AWS SDK for JavaScript v3, @aws-sdk/client-s3 ${sdkVersion}, with \`requestHandler: { httpAgent }\``,
    protocol: 'HTTP/1.1',
    expectWhen: 'bodies of 2 MiB and more',
    notes: 'With an agent of the caller\'s (`httpAgent`/`httpsAgent`), @smithy/node-http-handler does not wait for the 100: ' +
      'the header goes out but the body follows at once. The refusal still reached it in this test.',
    cases: facts
  })
  // Fewer cases: each refused connection is held by the server's staged close until the client's
  // body is drained (or the linger timeout).
  for (const c of cases.filter((c) => [200, 413, 403].includes(c.answered))) {
    const agent = new http.Agent({ keepAlive: false })
    const { result, requests, bodyBytes } = await server.observe(() => putObject(server, c, { requestHandler: { httpAgent: agent } }))
    t.equal(requests[0]?.expect, '100-continue', `${c.label}: Expect sent`)
    t.equal(result.status, c.answered, `${c.label}: the SDK reports ${c.answered}`)
    if (c.answered < 300) {
      t.equal(bodyBytes, c.bytes)
    } else {
      t.equal(result.code, c.code, `${c.label}: as ${c.code}`)
      t.ok(bodyBytes > 0, `${c.label}: the body went without waiting (${bodyBytes} bytes read)`)
    }
    facts.push({ case: c.label, answered: c.answered, reported: reported(result), expectSent: true, body: c.answered < 300 ? bodySent(bodyBytes, c.bytes) : sentAtOnce(bodySent(bodyBytes, c.bytes)), ...(c.answered < 300 ? {} : { race: true as const }) })
  }
  recordFacts(t, row2())
})
