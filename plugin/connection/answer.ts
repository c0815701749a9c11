// Answers the plugin gives before routing (417, framing), in Fastify's error
// format. A body, if one is framed, is never read: the HTTP/1 connection ends
// with the answer (staged, see linger.ts).
import { STATUS_CODES, type ServerResponse } from 'node:http'
import type { RawResponse } from '../way-in/continue'

export function answer (response: RawResponse, error: Error & { statusCode?: number, code?: string }, close: boolean): void {
  const statusCode = error.statusCode ?? 400
  const body = JSON.stringify({ statusCode, code: error.code, error: STATUS_CODES[statusCode], message: error.message })
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }
  if (close) headers.connection = 'close'
  ;(response as ServerResponse).writeHead(statusCode, headers)
  response.end(body)
}
