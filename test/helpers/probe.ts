// Servers for the probe's tests: raw TCP servers that answer a request head in
// a chosen way, and a count of what every server read from its sockets.
import net, { type AddressInfo, type Socket } from 'node:net'
import type { EventEmitter } from 'node:events'
import type { Test } from 'tap'
import { main } from '../../probe/cli'
import type { ProbeResult } from '../../probe/probe'

export interface Connections {
  /** Bytes read from every accepted socket (head and body). */
  bytesRead (): number
  /** Sockets accepted so far. */
  count (): number
  /** Resolves when every socket accepted so far has closed. */
  allClosed (): Promise<void>
}

/** Tracks a server's sockets (emitted as 'connection', or 'secureConnection' for TLS) from now on. */
export function trackConnections (server: EventEmitter, event = 'connection'): Connections {
  const sockets: Socket[] = []
  const closed: Array<Promise<void>> = []
  server.on(event, (socket: Socket) => {
    sockets.push(socket)
    closed.push(new Promise((resolve) => { socket.once('close', () => resolve()) }))
  })
  return {
    bytesRead: () => sockets.reduce((sum, s) => sum + s.bytesRead, 0),
    count: () => sockets.length,
    allClosed: async () => { await Promise.all(closed) }
  }
}

/** A TCP server on loopback that calls `onHead` with each connection's first request head. */
export async function rawServer (
  t: Test,
  onHead: (socket: Socket, head: string) => void,
  options: { allowHalfOpen?: boolean, onConnection?: (socket: Socket) => void } = {}
): Promise<{ port: number, connections: Connections }> {
  const open = new Set<Socket>()
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen === true }, (socket) => {
    options.onConnection?.(socket)
    open.add(socket)
    socket.once('close', () => open.delete(socket))
    let received = ''
    socket.on('error', () => {})
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      socket.resume()
      onHead(socket, received.slice(0, end + 4))
    }
    socket.on('data', onData)
  })
  const connections = trackConnections(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve())
    for (const socket of open) socket.destroy()
  }))
  return { port: (server.address() as AddressInfo).port, connections }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI in this process, capturing its output. */
export async function runCli (argv: string[]): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, { out: (text) => { stdout += text }, err: (text) => { stderr += text } })
  return { code, stdout, stderr }
}

/** Runs `probe <url> --json ...` and returns the exit code and the parsed report. */
export async function probeJson (url: string, ...options: string[]): Promise<{ code: number, report: ProbeResult & { advice: string[] } }> {
  const run = await runCli(['probe', url, '--json', ...options])
  return { code: run.code, report: JSON.parse(run.stdout) }
}
