// Helpers for the tests with the Fastify plugins apps use: registering one
// before or after fastify-expect, request heads of uploads, multipart bodies.
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { head } from './raw-client'
import { expectPlugin } from './server'

/** Where the other plugin is registered, relative to fastify-expect. */
export type Order = 'before' | 'after'
export const ORDERS: readonly Order[] = ['before', 'after']

/**
 * Registers `other` before or after fastify-expect, ready for routes. The
 * plugin sees the routes declared after it has loaded (its onRoute hook), so it
 * is always awaited, as the docs of plugins with onRoute hooks ask; with
 * `awaited: false` the other plugin is only queued. Use with
 * `listen(t, setup, { plugin: false })`.
 */
export async function registerInOrder (app: FastifyInstance, order: Order, other: () => PromiseLike<unknown>, { awaited = true } = {}): Promise<void> {
  const registerOther = async (): Promise<void> => {
    if (awaited) await other()
    else other() // queued only: avvio loads it in order
  }
  if (order === 'before') await registerOther()
  await app.register(expectPlugin)
  if (order === 'after') await registerOther()
}

/** The head of an upload that waits for 100 Continue. */
export function uploadHead (requestLine: string, headers: Record<string, string | number>): string {
  return head(`${requestLine} HTTP/1.1`, { host: 'localhost', expect: '100-continue', ...headers })
}

export interface FormPart {
  name: string
  /** Makes it a file part. */
  filename?: string
  type?: string
  content: Buffer | string
}

/** A multipart/form-data body and its Content-Type. */
export function multipartBody (parts: readonly FormPart[]): { contentType: string, body: Buffer } {
  const boundary = `----fastify-expect-${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`
    const type = part.type ?? (part.filename === undefined ? undefined : 'application/octet-stream')
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type === undefined ? '' : `Content-Type: ${type}\r\n`}\r\n`))
    chunks.push(typeof part.content === 'string' ? Buffer.from(part.content) : part.content)
    chunks.push(Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) }
}
