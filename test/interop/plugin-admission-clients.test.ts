// Real clients against an upload server at capacity: curl (`-T` of a file over
// 1 MiB sends Expect and waits 1 s for the 100: longer than the default 800 ms
// admission timeout) and the AWS SDK's S3 client (Expect for 2 MiB and more;
// retries a 503 after the server's Retry-After). In the interop suite, beside the other tests of
// real clients.
import t, { type Test } from 'tap'
import diagnostics from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { until, MiB } from '../helpers/server'
import { runCurl } from '../helpers/curl'
import { requireTool } from '../helpers/tools'
import { S3, startUploadApp, tempDir } from '../helpers/interop'
import { uploadApp, uploadHead } from '../plugin/admission/helpers'
import { ADMISSION_CHANNEL, type AdmissionMessage } from '../../plugin/admission/admit'
const { rawRequest } = require('../helpers/raw-client.js')

const BODY = Buffer.alloc(1 * MiB, 7)

function onAdmission (t: Test, fn: (m: AdmissionMessage) => void): void {
  const listener = (m: unknown): void => { fn(m as AdmissionMessage) }
  diagnostics.subscribe(ADMISSION_CHANNEL, listener)
  t.teardown(() => diagnostics.unsubscribe(ADMISSION_CHANNEL, listener))
}

t.test('curl -T at capacity: 503 before sending a byte; with --retry it honours Retry-After and gets in', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await uploadApp(t, { maxConcurrentUploads: 1 })
  const file = join(tempDir(t), 'upload.bin')
  writeFileSync(file, Buffer.alloc(2 * MiB, 5))
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, BODY.length), body: BODY, timeoutMs: 20_000 })
  await until(t, 'the slot held', () => server.held.length === 1)
  const refused = await runCurl(['-T', file, '-H', 'content-type: application/octet-stream', `http://127.0.0.1:${server.port}/upload`])
  t.equal(refused.status, 503)
  t.equal(refused.uploaded, 0, 'curl sent no body byte')
  t.notOk(refused.continued)
  t.match(JSON.parse(refused.body), { code: 'FST_ERR_EXPECT_BUSY' })
  // The holder is let go only once curl's first try was refused: its retry comes after Retry-After.
  let busy = 0
  onAdmission(t, (m) => { if (m.event === 'busy' && ++busy === 1) server.releaseOne() })
  const retried = await runCurl(['--retry', '3', '-T', file, '-H', 'content-type: application/octet-stream', `http://127.0.0.1:${server.port}/upload`])
  t.equal(busy, 1, 'refused once')
  t.equal(retried.status, 200, 'then admitted')
  t.ok(retried.continued)
  t.equal(server.received.at(-1), 2 * MiB)
  t.equal((await holder).status, 200)
  await until(t, 'slots back', () => server.app.expectAdmission.inUse === 0)
})

t.test('AWS SDK S3 PutObject at capacity: 503 with no body sent, retried after Retry-After, then stored', async (t) => {
  const held: Array<() => void> = []
  const server = await startUploadApp(t, {
    expectOptions: { maxConcurrentUploads: 1, admissionTimeout: 300 },
    // In a plugin, so that it is declared after fastify-expect loads (its slots are added in onRoute).
    routes: (app) => {
      app.register(async (app) => {
        app.put('/hold', async (request) => {
          await new Promise<void>((resolve) => held.push(resolve))
          return { bytes: (request.body as Buffer | string | undefined)?.length ?? 0 }
        })
      })
    }
  })
  const holder = rawRequest({ port: server.port, head: uploadHead(server.port, 100).replace('/upload', '/hold').replace('application/octet-stream', 'text/plain'), body: Buffer.alloc(100, 65), timeoutMs: 20_000 })
  await until(t, 'the slot held', () => held.length === 1)
  const events: string[] = []
  onAdmission(t, (m) => {
    events.push(m.event)
    if (m.event === 'busy') (held.shift() as () => void)()
  })
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `${server.origin}/s3`,
    forcePathStyle: true,
    credentials: { accessKeyId: S3.accessKeyId, secretAccessKey: 'dummy-secret' }
  })
  t.teardown(() => client.destroy())
  const size = 3 * MiB
  // What each S3 request's connection carried, at the server (the SDK opens one per Expect request).
  const s3: Array<{ status: number | undefined, socket: import('node:net').Socket }> = []
  server.app.server.on('request', (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => {
    if (!String(request.url).startsWith('/s3/')) return
    const entry = { status: undefined as number | undefined, socket: request.socket }
    response.once('finish', () => { entry.status = response.statusCode })
    s3.push(entry)
  })
  const output = await client.send(new PutObjectCommand({ Bucket: S3.bucket, Key: 'cat.png', Body: Buffer.alloc(size, 3), ContentType: 'image/png' }))
  client.destroy()
  t.equal(output.$metadata.httpStatusCode, 200)
  t.equal(output.$metadata.attempts, 2, 'refused once, then stored')
  t.same(events, ['busy', 'admitted'])
  t.same(s3.map((r) => r.status), [503, 200])
  await until(t, 'the SDK\'s connections closed', () => s3.every((r) => r.socket.destroyed))
  const [refused, stored] = s3 as [typeof s3[0], typeof s3[0]]
  t.not(refused.socket, stored.socket, 'the retry came on a new connection')
  t.ok(refused.socket.bytesRead < 4096, `the refused attempt's connection carried its head only (${refused.socket.bytesRead} bytes)`)
  t.ok(stored.socket.bytesRead >= size, 'the stored one, the whole body')
  t.equal((await holder).status, 200)
})
