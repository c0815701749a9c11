// The examples in examples/, as users meet them: each build function with real
// requests over real sockets, and each file started with `node examples/<name>.js`
// (it prints its URL) and answering. They require the built package (`..`):
// `npm test` builds it first.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { countBytesRead, listenOnLoopback, MiB } from '../helpers/server'
import { multipartBody, uploadHead } from '../helpers/ecosystem'
import { rawRequest, type RawExchange } from '../helpers/raw-client'
import { buildMultipartApp } from '../../examples/multipart-to-disk'
import { buildIngestApp } from '../../examples/json-ingest'
import { S3 } from '../../examples/s3-put'

/** Listens on a free port, closes when the test ends. */
async function serve (t: Test, app: FastifyInstance): Promise<{ port: number, bytesRead: () => number }> {
  const { bytesRead } = countBytesRead(app.server)
  return { port: await listenOnLoopback(t, app), bytesRead }
}

/** Asserts a refusal before the body: the status, no 100, nothing sent, only the head read. */
function refusedBeforeBody (t: Test, r: RawExchange, status: number, bytesReadBeyondHead: number, label: string): void {
  t.equal(r.status, status, label)
  t.same(r.informational, [], `${label}: no 100`)
  t.equal(r.bodyBytesSent, 0, `${label}: no body sent`)
  t.equal(bytesReadBeyondHead, 0, `${label}: the server read only the head`)
}

/** Starts `node examples/<file>` and resolves with the first URL it prints; killed when the test ends. */
function start (t: Test, file: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'examples', file)], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill() })
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(output)
      if (url !== null) {
        child.stdout.off('data', onData)
        child.stdout.resume()
        resolve(url[0])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.on('exit', (code) => reject(new Error(`${file} exited (${code}) before printing its URL:\n${output}`)))
  })
}

const portOf = (url: string): number => Number(new URL(url).port)

t.test('multipart-to-disk: files streamed to disk, refusals before the upload', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-expect-uploads-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const server = await serve(t, buildMultipartApp({ dir, maxFileSize: 64 * 1024, maxRequestSize: MiB }))
  const auth = { authorization: 'Bearer demo-token' }
  const a = Buffer.alloc(1000, 'a')
  const b = Buffer.from(Array.from({ length: 50 * 1024 }, (_, i) => i % 256))
  const form = multipartBody([
    { name: 'title', content: 'holiday' },
    { name: 'first', filename: 'a.txt', type: 'text/plain', content: a },
    { name: 'second', filename: '../../b.bin', content: b }
  ])
  const formHeaders = { 'content-type': form.contentType, 'content-length': form.body.length }

  const ok = await rawRequest({ port: server.port, head: uploadHead('POST /uploads', { ...formHeaders, ...auth }), body: form.body })
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 201)
  const { files } = JSON.parse(ok.body) as { files: Array<{ field: string, filename: string, stored: string, bytes: number }> }
  t.same(files.map((f) => [f.field, f.filename, f.bytes]), [['first', 'a.txt', 1000], ['second', 'b.bin', b.length]])
  t.match(files[1]?.stored, /^[\w-]+-b\.bin$/, 'busboy drops the path (../../): stored under a generated name, inside the upload directory')
  t.same(await readFile(join(dir, files[0]?.stored ?? '')), a, 'the first file, byte for byte')
  t.same(await readFile(join(dir, files[1]?.stored ?? '')), b, 'the second file, byte for byte')

  const cases = [
    { label: 'no token', headers: formHeaders, status: 401 },
    { label: 'not a form', headers: { ...auth, 'content-type': 'application/json', 'content-length': form.body.length }, status: 415 },
    { label: 'over the route\'s bodyLimit', headers: { ...auth, 'content-type': form.contentType, 'content-length': 2 * MiB }, status: 413 }
  ]
  for (const c of cases) {
    const requestHead = uploadHead('POST /uploads', c.headers)
    const before = server.bytesRead()
    const r = await rawRequest({ port: server.port, head: requestHead, body: form.body })
    refusedBeforeBody(t, r, c.status, server.bytesRead() - before - requestHead.length, c.label)
  }

  // A file over maxFileSize is only seen while streaming: 413, and none of the request's files is left.
  const big = multipartBody([{ name: 'ok', filename: 'fine.bin', content: Buffer.alloc(1000) }, { name: 'f', filename: 'big.bin', content: Buffer.alloc(100 * 1024) }])
  const tooBig = await rawRequest({ port: server.port, head: uploadHead('POST /uploads', { ...auth, 'content-type': big.contentType, 'content-length': big.body.length }), body: big.body })
  t.same(tooBig.informational, ['HTTP/1.1 100 Continue'])
  t.equal(tooBig.status, 413)
  t.equal(JSON.parse(tooBig.body).code, 'FST_REQ_FILE_TOO_LARGE')
  t.same((await readdir(dir)).sort(), files.map((f) => f.stored).sort(), 'only the two accepted files are on disk')
})

t.test('json-ingest: authenticated batches, refusals before the upload', async (t) => {
  const server = await serve(t, buildIngestApp({ quotaBytes: 1000, maxBatchBytes: 4096 }))
  const batch = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ type: 'signup', n: i, pad: 'x'.repeat(30) })))
  t.ok(batch.length > 500 && batch.length < 1000, 'one batch fits the quota, two do not')
  const headers = { authorization: 'Bearer demo-key', 'x-batch-id': 'b-1', 'content-type': 'application/json', 'content-length': batch.length }

  const ok = await rawRequest({ port: server.port, head: uploadHead('POST /v1/events', headers), body: batch })
  t.same(ok.informational, ['HTTP/1.1 100 Continue'])
  t.equal(ok.status, 202)
  t.same(JSON.parse(ok.body), { tenant: 'acme', batch: 'b-1', accepted: 10, total: 10 })

  const cases: Array<{ label: string, headers: Record<string, string | number>, status: number }> = [
    { label: 'unknown key', headers: { ...headers, authorization: 'Bearer nope' }, status: 401 },
    { label: 'a key named like an Object property', headers: { ...headers, authorization: 'Bearer __proto__' }, status: 401 },
    { label: 'not JSON', headers: { ...headers, 'content-type': 'text/csv' }, status: 415 },
    { label: 'over bodyLimit', headers: { ...headers, 'content-length': 5000 }, status: 413 },
    { label: 'no batch id', headers: { ...headers, 'x-batch-id': 'not valid!' }, status: 400 },
    { label: 'over the quota', headers, status: 429 }
  ]
  for (const c of cases) {
    const requestHead = uploadHead('POST /v1/events', c.headers)
    const before = server.bytesRead()
    const r = await rawRequest({ port: server.port, head: requestHead, body: batch })
    refusedBeforeBody(t, r, c.status, server.bytesRead() - before - requestHead.length, c.label)
  }
  // Another tenant has its own quota; the events' schema is only checked once the body is there.
  const invalid = JSON.stringify([{ kind: 'no type' }])
  const other = await rawRequest({ port: server.port, head: uploadHead('POST /v1/events', { ...headers, authorization: 'Bearer other-key', 'content-length': invalid.length }), body: invalid })
  t.same(other.informational, ['HTTP/1.1 100 Continue'])
  t.equal(other.status, 400)
})

t.test('each example starts with one command, prints its URL and answers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-expect-uploads-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const [multipartUrl, ingestUrl, s3Url] = await Promise.all([
    start(t, 'multipart-to-disk.js', { UPLOAD_DIR: dir }),
    start(t, 'json-ingest.js'),
    start(t, 's3-put.js')
  ])

  const form = multipartBody([{ name: 'f', filename: 'hello.txt', content: 'hello' }])
  const upload = await rawRequest({ port: portOf(multipartUrl), head: uploadHead('POST /uploads', { authorization: 'Bearer demo-token', 'content-type': form.contentType, 'content-length': form.body.length }), body: form.body })
  t.equal(upload.status, 201, 'multipart-to-disk.js')
  t.same(upload.informational, ['HTTP/1.1 100 Continue'])
  t.equal((await readdir(dir)).length, 1, 'the file is in UPLOAD_DIR')

  const batch = '[{"type":"signup"}]'
  const ingest = await rawRequest({ port: portOf(ingestUrl), head: uploadHead('POST /v1/events', { authorization: 'Bearer demo-key', 'x-batch-id': 'b1', 'content-type': 'application/json', 'content-length': batch.length }), body: batch })
  t.equal(ingest.status, 202, 'json-ingest.js')
  t.same(ingest.informational, ['HTTP/1.1 100 Continue'])

  // The S3-style endpoint, as curl -T or the AWS SDK call it (path style, SigV4 credential).
  const s3Auth = { authorization: `AWS4-HMAC-SHA256 Credential=${S3.accessKeyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0` }
  const object = Buffer.alloc(300 * 1024, 7)
  const put = await rawRequest({ port: portOf(s3Url), head: uploadHead(`PUT /s3/${S3.bucket}/photos/cat.png`, { ...s3Auth, 'content-type': 'image/png', 'content-length': object.length }), body: object })
  t.equal(put.status, 200, 's3-put.js')
  t.same(put.informational, ['HTTP/1.1 100 Continue'])
  t.equal(put.headers.etag, `"${createHash('md5').update(object).digest('hex')}"`, 'the ETag is the MD5 of what was sent')
  const s3Refusals = [
    { label: 'unknown access key', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=NOPE/20260101/us-east-1/s3/aws4_request', 'content-type': 'image/png', 'content-length': object.length }, status: 403, code: 'AccessDenied' },
    { label: 'too large', headers: { ...s3Auth, 'content-type': 'image/png', 'content-length': S3.maxObjectSize + 1 }, status: 413, code: 'EntityTooLarge' }
  ]
  for (const c of s3Refusals) {
    const r = await rawRequest({ port: portOf(s3Url), head: uploadHead(`PUT /s3/${S3.bucket}/big.bin`, c.headers), body: object })
    t.equal(r.status, c.status, c.label)
    t.same(r.informational, [], `${c.label}: no 100`)
    t.equal(r.bodyBytesSent, 0, `${c.label}: no body sent`)
    t.match(r.body, `<Code>${c.code}</Code>`, `${c.label}: S3's error code`)
  }
})
