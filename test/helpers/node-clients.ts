// Node's own clients, used as their documentation says for `Expect: 100-continue`:
// send the headers, write the body on the 'continue' event, and take whatever
// final response comes instead. Shared by the Node and the TLS interop tests.
import http from 'node:http'
import http2, { type ClientSessionOptions, type SecureClientSessionOptions } from 'node:http2'
import type { Test } from 'tap'
import { h2BodySent, H2_HEAD_ONLY_BOUND, UPLOAD_CASES, type CaseFacts, type UploadServer } from './interop'

export interface NodeClientResult {
  /** The final status the client reported; 0 when it reported an error instead. */
  status: number
  /** The 'continue' event fired. */
  continued: boolean
  /** Body bytes this client handed to the stream (only after 'continue'). */
  written: number
  body: string
  error: string | undefined
}

/** node:http, a fresh connection (no agent), headers flushed at once, the body written on 'continue'. */
export function httpUpload (origin: string, path: string, headers: Record<string, string | number>, body: Buffer): Promise<NodeClientResult> {
  return new Promise((resolve) => {
    const result: NodeClientResult = { status: 0, continued: false, written: 0, body: '', error: undefined }
    const req = http.request(`${origin}${path}`, {
      method: 'PUT',
      agent: false,
      headers: { expect: '100-continue', 'content-length': body.length, ...headers }
    })
    req.on('continue', () => {
      result.continued = true
      result.written = body.length
      req.end(body)
    })
    req.on('response', (res) => {
      result.status = res.statusCode ?? 0
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { result.body += chunk })
      res.on('end', () => {
        // A refused upload's request never ends: drop it with its connection.
        req.destroy()
        resolve(result)
      })
    })
    req.on('error', (err) => {
      result.error = (err as NodeJS.ErrnoException).code ?? err.message
      resolve(result)
    })
    req.flushHeaders()
  })
}

/** node:http2 on its own session (closed after the exchange), the body written on 'continue'. */
export async function http2Upload (
  origin: string,
  path: string,
  headers: Record<string, string | number>,
  body: Buffer,
  options: ClientSessionOptions | SecureClientSessionOptions = {}
): Promise<NodeClientResult> {
  const session = http2.connect(origin, options)
  let sessionError: string | undefined
  session.on('error', (err) => { sessionError ??= (err as NodeJS.ErrnoException).code ?? err.message })
  const result = await http2Exchange(session, {
    ':method': 'PUT',
    ':path': path,
    expect: '100-continue',
    'content-length': body.length,
    ...headers
  }, body)
  session.close()
  result.error ??= sessionError
  return result
}

/**
 * One stream on an open session: the headers, then the body on 'continue' (or no body at
 * all when `body` is undefined: the headers end the stream).
 */
export function http2Exchange (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: Buffer | string | undefined): Promise<NodeClientResult> {
  return new Promise((resolve) => {
    const result: NodeClientResult = { status: 0, continued: false, written: 0, body: '', error: undefined }
    const stream = session.request(headers, { endStream: body === undefined })
    stream.on('continue', () => {
      result.continued = true
      result.written = body?.length ?? 0
      stream.end(body)
    })
    stream.on('response', (responseHeaders) => { result.status = Number(responseHeaders[':status']) })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => { result.body += chunk })
    stream.on('error', (err) => { result.error ??= (err as NodeJS.ErrnoException).code ?? err.message })
    // After a refusal the server resets the stream with NO_ERROR (RFC 9113 §8.1): the response stands.
    stream.on('close', () => resolve(result))
  })
}

/**
 * The node:http2 check the cleartext and the TLS interop tests share: every upload
 * case answered as the app says, the body read only when accepted.
 */
export async function checkHttp2Uploads (
  t: Test,
  server: UploadServer,
  facts: CaseFacts[],
  options: ClientSessionOptions | SecureClientSessionOptions = {}
): Promise<void> {
  for (const c of UPLOAD_CASES) {
    const { result, requests, bytesRead } = await server.observe(() => http2Upload(server.origin, c.path, c.headers, Buffer.alloc(c.bytes, 1), options))
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
      t.ok(bytesRead < H2_HEAD_ONLY_BOUND, `${c.label}: the server read ${bytesRead} bytes, no DATA`)
    }
    facts.push({ case: c.label, answered: c.answered, reported: String(result.status), expectSent: true, continueSeen: result.continued, body: h2BodySent(bytesRead, c.bytes) })
  }
}
