// Node's own clients, used as their documentation says for `Expect: 100-continue`:
// send the headers, write the body on the 'continue' event, and take whatever
// final response comes instead. Shared by the Node and the TLS interop tests.
import http from 'node:http'
import http2, { type ClientSessionOptions, type SecureClientSessionOptions } from 'node:http2'

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
