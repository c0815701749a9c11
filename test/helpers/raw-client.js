// @ts-check
// A raw HTTP/1.x client over a TCP socket that does what an uploading client
// does with `Expect: 100-continue`: send the head, wait, and send the body only
// on 100 (or after a timeout, as curl does, or at once). It reports exactly what
// came back on the wire. Used by the demo, the tests and the benchmarks.
'use strict'
const net = require('node:net')

/**
 * @typedef {object} RawExchange
 * @property {string[]} informational informational status lines received, e.g. ['HTTP/1.1 100 Continue']
 * @property {number | undefined} status final status code; undefined when the connection ended without one
 * @property {Record<string, string>} headers final response headers, lower-cased names
 * @property {string} body final response body received
 * @property {number} bodyBytesSent body bytes this client put on the socket
 * @property {boolean} closedByServer the server ended the connection (FIN)
 * @property {boolean} reset the connection was reset (ECONNRESET or EPIPE)
 * @property {number} headSentAt ms timestamp (performance.now) of the last head byte written
 * @property {number | undefined} continueAt ms timestamp of the 100
 * @property {number | undefined} finalAt ms timestamp of the final status
 * @property {string} raw everything received, latin1
 */

/**
 * @typedef {object} RawRequestOptions
 * @property {number} port
 * @property {string} [host]
 * @property {string} head the whole request head, ending with CRLF CRLF
 * @property {string | Buffer} [body]
 * @property {'on-continue' | 'now' | { afterMs: number, onContinue?: boolean }} [sendBody] when to send the body: on 100 (default), at once, or after
 *   waiting that long without one; with `onContinue: true` also on a 100 that comes first (curl's behaviour)
 * @property {number} [timeoutMs] give up this long after connecting
 * @property {number} [lingerMs] keep reading this long after the final response
 * @property {net.Socket} [socket] an open connection to reuse
 * @property {boolean} [keepOpen] leave the socket open and return it in `socket`
 * @property {boolean} [stopBodyOnFinal] stop sending the body as soon as a final status arrives, as curl does:
 *   the body is then written in chunks (`chunkSize`), no chunk is written after the final status, and a body
 *   not yet started is never sent (a pending `afterMs` timer is dropped); `bodyBytesSent` counts the chunks written
 * @property {number} [chunkSize] chunk size for `stopBodyOnFinal` (default 64 KiB)
 */

/**
 * @param {RawRequestOptions} options
 * @returns {Promise<RawExchange & { socket?: net.Socket }>}
 */
function rawRequest (options) {
  const { port, host = '127.0.0.1', head, body = '', sendBody = 'on-continue', timeoutMs = 3000, lingerMs = 50 } = options
  const payload = typeof body === 'string' ? Buffer.from(body) : body
  return new Promise((resolve) => {
    const socket = options.socket ?? net.connect(port, host)
    /** @type {RawExchange & { socket?: net.Socket }} */
    const result = { informational: [], status: undefined, headers: {}, body: '', bodyBytesSent: 0, closedByServer: false, reset: false, headSentAt: 0, continueAt: undefined, finalAt: undefined, raw: '' }
    let received = Buffer.alloc(0)
    let bodySent = false
    let finished = false
    /** @type {NodeJS.Timeout[]} */
    const timers = []

    const finish = () => {
      if (finished) return
      finished = true
      timers.forEach(clearTimeout)
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', onError)
      if (options.keepOpen && !result.closedByServer && !result.reset) result.socket = socket
      else socket.destroy()
      resolve(result)
    }
    const sendTheBody = () => {
      if (bodySent || payload.length === 0 || socket.destroyed) return
      if (options.stopBodyOnFinal && result.status !== undefined) return
      bodySent = true
      if (options.stopBodyOnFinal) {
        writeChunks()
        return
      }
      result.bodyBytesSent = payload.length
      socket.write(payload, () => {})
    }
    // stopBodyOnFinal: write while the socket takes it, never after the final status.
    const chunkSize = options.chunkSize ?? 64 * 1024
    const writeChunks = () => {
      while (result.bodyBytesSent < payload.length && result.status === undefined && !socket.destroyed) {
        const chunk = payload.subarray(result.bodyBytesSent, result.bodyBytesSent + chunkSize)
        result.bodyBytesSent += chunk.length
        if (!socket.write(chunk, () => {})) {
          socket.once('drain', writeChunks)
          return
        }
      }
    }
    const parse = () => {
      for (;;) {
        if (result.status !== undefined) break
        const text = received.toString('latin1')
        const end = text.indexOf('\r\n\r\n')
        if (end === -1) break
        const lines = text.slice(0, end).split('\r\n')
        const statusLine = /** @type {string} */ (lines[0])
        const code = Number(statusLine.split(' ')[1])
        received = received.subarray(end + 4)
        if (code >= 100 && code < 200) {
          result.informational.push(statusLine)
          if (code === 100) {
            result.continueAt ??= performance.now()
            if (sendBody === 'on-continue' || (typeof sendBody === 'object' && sendBody.onContinue === true)) sendTheBody()
          }
          continue
        }
        result.status = code
        result.finalAt = performance.now()
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':')
          result.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        const length = Number(result.headers['content-length'] ?? NaN)
        if (options.keepOpen && !Number.isNaN(length)) {
          // Keep-alive: stop as soon as this response's body is complete.
          timers.push(setInterval(() => { if (received.length >= length) finish() }, 1))
        }
        timers.push(setTimeout(finish, lingerMs))
      }
      if (result.status !== undefined) result.body = received.toString('utf8')
    }

    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      result.raw += chunk.toString('latin1')
      received = Buffer.concat([received, chunk])
      parse()
    }
    const onEnd = () => { result.closedByServer = true; finish() }
    /** @param {NodeJS.ErrnoException} err */
    const onError = (err) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') result.reset = true
      finish()
    }
    const start = () => {
      socket.write(head)
      result.headSentAt = performance.now()
      if (sendBody === 'now') sendTheBody()
      else if (typeof sendBody === 'object') timers.push(setTimeout(sendTheBody, sendBody.afterMs))
      timers.push(setTimeout(finish, timeoutMs))
    }
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', onError)
    if (options.socket) start()
    else socket.on('connect', start)
  })
}

/**
 * Builds a request head; header values are written exactly as given.
 * @param {string} requestLine e.g. 'PUT /x HTTP/1.1'
 * @param {Record<string, string | number | Array<string | number>>} headers
 */
function head (requestLine, headers) {
  const lines = [requestLine]
  for (const [name, value] of Object.entries(headers)) {
    for (const v of [value].flat()) lines.push(`${name}: ${v}`)
  }
  return lines.join('\r\n') + '\r\n\r\n'
}

module.exports = { rawRequest, head }
