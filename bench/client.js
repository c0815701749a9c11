// @ts-check
// Raw HTTP/1.1 clients over net sockets, to 127.0.0.1 only, each bounded in count and time.
'use strict'
const net = require('node:net')
const http2 = require('node:http2')

const TIMEOUT_MS = 180000

/** @param {string} method @param {string} url @param {Record<string, string | number>} headers @param {string} [body] */
function request (method, url, headers, body = '') {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  return Buffer.from(`${method} ${url} HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines}\r\n${body}`)
}

/** @param {Buffer} buf @returns {{ status: number, end: number } | undefined} the first complete response */
function parseResponse (buf) {
  const headEnd = buf.indexOf('\r\n\r\n')
  if (headEnd < 0) return undefined
  const head = buf.subarray(0, headEnd).toString('latin1')
  const status = Number(head.slice(9, 12))
  const length = status === 100 ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
  const end = headEnd + 4 + length
  return buf.length >= end ? { status, end } : undefined
}

/** @param {net.Socket} socket @param {number} ms @param {string} what */
function bound (socket, ms, what) {
  socket.setTimeout(ms, () => socket.destroy(new Error(`${what}: no answer in ${ms} ms`)))
}

/**
 * Sends `req` (or req(i) for the i-th request) `count` times over `connections` keep-alive
 * connections, one at a time on each.
 * @param {number} port @param {Buffer | ((i: number) => Buffer)} req @param {number} count @param {number} [connections]
 * @returns {Promise<Record<number, number>>} responses by status
 */
async function load (port, req, count, connections = 4) {
  /** @type {Record<number, number>} */
  const statuses = {}
  let left = count
  const one = () => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    bound(socket, TIMEOUT_MS, 'load')
    let buf = Buffer.alloc(0)
    const next = () => { if (left-- > 0) socket.write(typeof req === 'function' ? req(left) : req); else socket.end(() => resolve(undefined)) }
    socket.on('connect', next)
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      for (let r = parseResponse(buf); r; r = parseResponse(buf)) {
        buf = buf.subarray(r.end)
        statuses[r.status] = (statuses[r.status] ?? 0) + 1
        if (r.status !== 100) next()
      }
    })
  })
  await Promise.all(Array.from({ length: Math.min(connections, count) }, one))
  return statuses
}

/**
 * `count` expectation uploads one after the other on one keep-alive connection:
 * the head, the body once the 100 arrives, then the next upload after the final status.
 * @param {number} port @param {Buffer} head @param {Buffer} body @param {number} count
 * @returns {Promise<Record<number, number>>} final responses by status
 */
function uploadsKeptAlive (port, head, body, count) {
  return new Promise((resolve, reject) => {
    /** @type {Record<number, number>} */
    const statuses = {}
    let left = count
    const socket = net.connect(port, '127.0.0.1')
    bound(socket, TIMEOUT_MS, 'uploads')
    let buf = Buffer.alloc(0)
    socket.on('connect', () => { left--; socket.write(head) })
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`connection closed with ${left + 1} uploads to go`)))
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      for (let r = parseResponse(buf); r; r = parseResponse(buf)) {
        buf = buf.subarray(r.end)
        if (r.status === 100) { socket.write(body); continue }
        statuses[r.status] = (statuses[r.status] ?? 0) + 1
        if (left-- > 0) socket.write(head)
        else { socket.removeAllListeners('close'); socket.end(); resolve(statuses) }
      }
    })
  })
}

/**
 * An upload the way curl sends it: the head with `Expect: 100-continue`, then the body on
 * the 100 (or after `waitMs` without one), in 64 KiB writes, until the final status arrives.
 * @param {number} port @param {Buffer} head @param {number} size @param {{ waitMs?: number }} [options]
 * @returns {Promise<{ status: number | undefined, continued: boolean, bytesSent: number, ms: number, error?: string }>}
 */
function upload (port, head, size, { waitMs = 1000 } = {}) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const socket = net.connect(port, '127.0.0.1')
    bound(socket, TIMEOUT_MS, 'upload')
    let buf = Buffer.alloc(0)
    let continued = false
    let sending = false
    let queued = 0
    let bytesSent = 0
    /** @type {number | undefined} */
    let status
    let ms = NaN
    const finish = (/** @type {string | undefined} */ error) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ status, continued, bytesSent, ms, ...(error && status === undefined ? { error } : {}) })
    }
    const send = () => {
      if (sending) return
      sending = true
      const pump = () => {
        // eslint-disable-next-line no-unmodified-loop-condition -- status is set by the socket's data listener
        while (status === undefined && queued < size) {
          const n = Math.min(chunk.length, size - queued)
          queued += n
          if (!socket.write(chunk.subarray(0, n))) return socket.once('drain', pump)
        }
      }
      pump()
    }
    const timer = setTimeout(send, waitMs)
    socket.on('connect', () => socket.write(head))
    socket.on('data', (data) => {
      buf = Buffer.concat([buf, data])
      for (let r = parseResponse(buf); r; r = parseResponse(buf)) {
        buf = buf.subarray(r.end)
        if (r.status === 100) { continued = true; send(); continue }
        status = r.status
        // Handed to the kernel: written minus what still waits in the socket's buffer.
        bytesSent = Math.max(0, socket.bytesWritten - socket.writableLength - head.length)
        ms = Number(process.hrtime.bigint() - start) / 1e6
        return finish(undefined)
      }
    })
    socket.on('error', (err) => {
      if (status === undefined) bytesSent = Math.max(0, socket.bytesWritten - socket.writableLength - head.length)
      finish(err.message)
    })
    socket.on('close', () => finish('closed'))
  })
}

/**
 * `count` HTTP/2 expectation streams one after the other on one h2c session: the head with
 * `expect: 100-continue`, the body on the 100, until the stream closes (the server resets
 * a stream it answered before the body).
 * @param {number} port @param {Record<string, string | number>} headers without :method/:path
 * @param {string} path @param {Buffer} body @param {number} count
 * @returns {Promise<Record<number, number>>} final responses by status
 */
async function h2Uploads (port, path, headers, body, count) {
  /** @type {Record<number, number>} */
  const statuses = {}
  const session = http2.connect(`http://127.0.0.1:${port}`)
  session.on('error', () => {})
  try {
    for (let i = 0; i < count; i++) {
      await new Promise((resolve, reject) => {
        const stream = session.request({ ':method': 'PUT', ':path': path, ...headers, expect: '100-continue' })
        stream.setTimeout(TIMEOUT_MS, () => stream.destroy(new Error('h2 upload: no answer')))
        stream.on('continue', () => stream.end(body))
        let answered = false
        stream.on('response', (h) => { answered = true; const s = Number(h[':status']); statuses[s] = (statuses[s] ?? 0) + 1 })
        stream.on('error', (err) => { if (!answered) reject(err) })
        stream.resume()
        stream.on('close', resolve)
      })
    }
  } finally {
    await new Promise((resolve) => session.close(() => resolve(undefined)))
  }
  return statuses
}

module.exports = { request, load, upload, uploadsKeptAlive, h2Uploads }
