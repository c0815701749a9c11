// A raw HTTP/1.x client over a TCP socket that does what an uploading client
// does with `Expect: 100-continue`: send the head, wait, and send the body only
// on 100 (or after a timeout, as curl does, or at once). It reports exactly
// what came back on the wire.
import net from 'node:net'

export interface RawExchange {
  /** Informational status lines received (e.g. ['HTTP/1.1 100 Continue']). */
  informational: string[]
  /** Final status code, or undefined when the connection ended without one. */
  status: number | undefined
  headers: Record<string, string>
  body: string
  /** Body bytes this client put on the socket. */
  bodyBytesSent: number
  /** The server closed the connection (FIN), or it was reset. */
  closedByServer: boolean
  reset: boolean
  /** Everything received, for debugging. */
  raw: string
}

export interface RawRequestOptions {
  port: number
  host?: string
  /** The whole request head, ending with CRLF CRLF. */
  head: string
  body?: string | Buffer
  /** When to send the body: on 100 (default), at once, or after waiting this many ms without one. */
  sendBody?: 'on-continue' | 'now' | { afterMs: number }
  /** How long to wait for the final response after the last write. */
  timeoutMs?: number
  /** Keep reading after the final response for this long (to see what else comes). */
  lingerMs?: number
}

export function rawRequest (options: RawRequestOptions): Promise<RawExchange> {
  const { port, host = '127.0.0.1', head, body = '', sendBody = 'on-continue', timeoutMs = 3000, lingerMs = 50 } = options
  const payload = typeof body === 'string' ? Buffer.from(body) : body
  return new Promise((resolve) => {
    const socket = net.connect(port, host)
    const result: RawExchange = { informational: [], status: undefined, headers: {}, body: '', bodyBytesSent: 0, closedByServer: false, reset: false, raw: '' }
    let received = Buffer.alloc(0)
    let bodySent = false
    let finished = false
    const timers: NodeJS.Timeout[] = []

    const finish = (): void => {
      if (finished) return
      finished = true
      timers.forEach(clearTimeout)
      socket.destroy()
      resolve(result)
    }
    const sendTheBody = (): void => {
      if (bodySent || payload.length === 0 || socket.destroyed) return
      bodySent = true
      result.bodyBytesSent = payload.length
      socket.write(payload)
    }
    const parse = (): void => {
      for (;;) {
        const text = received.toString('latin1')
        const end = text.indexOf('\r\n\r\n')
        if (end === -1 || result.status !== undefined) break
        const lines = text.slice(0, end).split('\r\n')
        const statusLine = lines[0] as string
        const code = Number(statusLine.split(' ')[1])
        if (code >= 100 && code < 200) {
          result.informational.push(statusLine)
          received = received.subarray(end + 4)
          if (code === 100 && sendBody === 'on-continue') sendTheBody()
          continue
        }
        result.status = code
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':')
          result.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        received = received.subarray(end + 4)
        timers.push(setTimeout(finish, lingerMs))
      }
      if (result.status !== undefined) result.body = received.toString('utf8')
    }

    socket.on('data', (chunk) => {
      result.raw += chunk.toString('latin1')
      received = Buffer.concat([received, chunk])
      parse()
    })
    socket.on('end', () => { result.closedByServer = true; finish() })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') result.reset = true
      finish()
    })
    socket.on('connect', () => {
      socket.write(head)
      if (sendBody === 'now') sendTheBody()
      else if (typeof sendBody === 'object') timers.push(setTimeout(sendTheBody, sendBody.afterMs))
      timers.push(setTimeout(finish, timeoutMs))
    })
  })
}

/** Builds a request head from parts; header values are written exactly as given. */
export function head (requestLine: string, headers: Record<string, string | number | Array<string | number>>): string {
  const lines = [requestLine]
  for (const [name, value] of Object.entries(headers)) {
    for (const v of [value].flat()) lines.push(`${name}: ${v}`)
  }
  return lines.join('\r\n') + '\r\n\r\n'
}
