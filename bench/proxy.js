// @ts-check
// A userland TCP proxy that gives loopback what a real network has: a
// round-trip time (each direction is delayed by RTT/2) and a bandwidth cap (each
// direction is paced at the link rate: a token bucket with a one-piece burst).
// Loopback has neither, and the kernel's netem is not available here.
//
// The client -> server direction also behaves like a TCP sender's window: the
// proxy reads from the client only while the bytes it has taken and that the
// server has not yet acknowledged (delivered + RTT/2) stay below a window. The
// window starts at 10 segments (14 480 bytes) and grows by each acknowledged
// byte (slow start, no loss), up to bandwidth x RTT + a 64 KiB bottleneck queue.
// Bytes the client wrote that the window does not let through yet wait in the
// proxy (or in the client's kernel buffers): they are still in the sender, not
// on the wire.
//
// Each connection keeps a log of the client's bytes (when taken, when handed to
// the server), so that a benchmark can tell how many bytes the client had put on
// the wire, and how many had reached the server, by a given moment.
'use strict'
const net = require('node:net')

const PIECE = 8 * 1024
const MSS = 1448
const INITIAL_WINDOW = 10 * MSS

/**
 * One direction of the link: pacing and propagation delay.
 * @param {number} bytesPerMs
 * @param {number} delayMs
 */
function createLink (bytesPerMs, delayMs) {
  let freeAt = 0
  return {
    delayMs,
    /** @param {number} length @param {number} now @returns {number} when these bytes arrive at the other end */
    send (length, now) {
      const departs = Math.max(now, freeAt) + length / bytesPerMs
      freeAt = departs
      return departs + delayMs
    }
  }
}

/**
 * @typedef {object} Piece
 * @property {Buffer} data
 * @property {number} takenAt performance.now() when the proxy took it from the sender
 * @property {number} arrivesAt
 * @property {number | undefined} deliveredAt when it was handed to the receiver's socket
 */

/**
 * @typedef {object} ProxyConnection
 * @property {Piece[]} upstream the client's bytes, in order
 * @property {number} downstreamBytes bytes from the server handed to the client
 * @property {(until: number) => number} clientBytes bytes the proxy took from the client up to that moment
 * @property {(until: number) => number} serverBytes of those, bytes handed to the server so far
 * @property {(until: number) => boolean} inFlight some of the bytes taken up to that moment are still on their way
 * @property {Promise<void>} closed both sides closed
 * @property {() => void} destroy
 */

/**
 * @param {{ targetPort: number, targetHost?: string, rttMs: number, mbps: number, queueBytes?: number }} options
 * @returns {Promise<{ port: number, connections: ProxyConnection[], close: () => Promise<void> }>}
 */
async function startProxy (options) {
  const { targetPort, targetHost = '127.0.0.1', rttMs, mbps, queueBytes = 64 * 1024 } = options
  const bytesPerMs = mbps * 1e6 / 8 / 1000
  const maxWindow = bytesPerMs * rttMs + queueBytes
  /** @type {ProxyConnection[]} */
  const connections = []
  /** @type {Set<() => void>} */
  const destroyers = new Set()

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstreamLink = createLink(bytesPerMs, rttMs / 2)
    const downstreamLink = createLink(bytesPerMs, rttMs / 2)
    const target = net.connect({ port: targetPort, host: targetHost, allowHalfOpen: true, noDelay: true })
    /** @type {Piece[]} */
    const upstream = []
    let upNext = 0 // index of the next upstream piece to deliver
    /** @type {Array<{ data: Buffer, arrivesAt: number }>} */
    const downstream = []
    /** @type {Array<{ at: number, length: number }>} */
    const acks = []
    /** @type {Buffer[]} */
    const held = []
    let heldBytes = 0
    let window = INITIAL_WINDOW
    let unacknowledged = 0
    let clientPaused = false
    const state = { clientEnded: false, clientGone: false, targetEnded: false, targetGone: false, targetEndSent: false, clientEndSent: false }
    /** @type {NodeJS.Timeout | NodeJS.Immediate | undefined} */
    let timer
    let timerIsImmediate = false
    /** @type {() => void} */
    let markClosed = () => {}
    const closed = new Promise((resolve) => { markClosed = () => resolve(undefined) })

    const connection = {
      upstream,
      downstreamBytes: 0,
      /** @param {number} until */
      clientBytes: (until) => upstream.reduce((sum, p) => p.takenAt <= until ? sum + p.data.length : sum, 0),
      /** @param {number} until */
      serverBytes: (until) => upstream.reduce((sum, p) => p.takenAt <= until && p.deliveredAt !== undefined ? sum + p.data.length : sum, 0),
      /** @param {number} until */
      inFlight: (until) => !state.targetGone && upstream.some((p) => p.takenAt <= until && p.deliveredAt === undefined),
      closed,
      destroy
    }
    connections.push(connection)

    function destroy () {
      client.destroy()
      target.destroy()
    }
    destroyers.add(destroy)

    const schedule = () => {
      if (timer !== undefined) return
      const next = Math.min(
        upstream[upNext]?.arrivesAt ?? Infinity,
        downstream[0]?.arrivesAt ?? Infinity,
        acks[0]?.at ?? Infinity
      )
      if (next === Infinity) return
      const wait = next - performance.now()
      // Node's timers have a 1 ms resolution: poll the last stretch.
      if (wait < 1.5) {
        timerIsImmediate = true
        timer = setImmediate(tick)
      } else {
        timerIsImmediate = false
        timer = setTimeout(tick, wait - 1)
      }
    }

    const tick = () => {
      timer = undefined
      const now = performance.now()
      for (let piece = upstream[upNext]; piece !== undefined && piece.arrivesAt <= now; piece = upstream[upNext]) {
        upNext++
        if (state.targetGone || state.targetEndSent) continue
        const p = piece
        target.write(p.data, (err) => {
          if (err) return
          p.deliveredAt = performance.now()
          acks.push({ at: p.deliveredAt + upstreamLink.delayMs, length: p.data.length })
          schedule()
        })
      }
      while (downstream[0] !== undefined && downstream[0].arrivesAt <= now) {
        const { data } = /** @type {{ data: Buffer }} */ (downstream.shift())
        if (!state.clientGone) {
          connection.downstreamBytes += data.length
          client.write(data)
        }
      }
      while (acks[0] !== undefined && acks[0].at <= now) {
        const { length } = /** @type {{ length: number }} */ (acks.shift())
        unacknowledged -= length
        window = Math.min(window + length, maxWindow)
      }
      settle()
      schedule()
    }

    /** Puts held bytes on the wire while the window allows. */
    const send = () => {
      const now = performance.now()
      while (held.length > 0 && unacknowledged < window) {
        const chunk = /** @type {Buffer} */ (held[0])
        const data = chunk.subarray(0, Math.min(PIECE, window - unacknowledged))
        if (data.length === chunk.length) held.shift()
        else held[0] = chunk.subarray(data.length)
        heldBytes -= data.length
        unacknowledged += data.length
        upstream.push({ data, takenAt: now, arrivesAt: upstreamLink.send(data.length, now), deliveredAt: undefined })
      }
      const full = heldBytes >= PIECE || target.writableLength >= PIECE * 8
      if (full && !clientPaused) {
        clientPaused = true
        client.pause()
      } else if (!full && clientPaused) {
        clientPaused = false
        client.resume()
      }
    }

    // Ends and resets travel behind the data sent before them.
    const settle = () => {
      send()
      if (held.length === 0 && upNext === upstream.length && !state.targetEndSent) {
        if (state.clientGone && !state.clientEnded) {
          state.targetEndSent = true
          target.destroy()
        } else if (state.clientEnded) {
          state.targetEndSent = true
          target.end()
        }
      }
      if (downstream.length === 0 && !state.clientEndSent) {
        if (state.targetGone && !state.targetEnded) {
          state.clientEndSent = true
          client.destroy()
        } else if (state.targetEnded) {
          state.clientEndSent = true
          client.end()
        }
      }
      if (state.clientGone && state.targetGone) {
        if (timer !== undefined) {
          if (timerIsImmediate) clearImmediate(/** @type {NodeJS.Immediate} */ (timer))
          else clearTimeout(/** @type {NodeJS.Timeout} */ (timer))
          timer = undefined
        }
        destroyers.delete(destroy)
        markClosed()
      }
    }

    // The client's bytes wait here (still in the sender) until the window lets them on the wire.
    client.on('data', (/** @type {Buffer} */ chunk) => {
      held.push(chunk)
      heldBytes += chunk.length
      send()
      schedule()
    })
    target.on('data', (/** @type {Buffer} */ chunk) => {
      const now = performance.now()
      downstream.push({ data: chunk, arrivesAt: downstreamLink.send(chunk.length, now) })
      schedule()
    })
    target.on('drain', settle)
    client.on('end', () => { state.clientEnded = true; settle() })
    target.on('end', () => { state.targetEnded = true; settle() })
    client.on('close', () => {
      state.clientGone = true
      // A reset drops what the sender had not yet put on the wire.
      if (!state.clientEnded) held.length = heldBytes = 0
      settle()
    })
    target.on('close', () => { state.targetGone = true; settle() })
    client.on('error', () => {})
    target.on('error', () => {})
  })

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const { port } = /** @type {net.AddressInfo} */ (server.address())
  return {
    port,
    connections,
    close: () => new Promise((resolve) => {
      for (const destroy of destroyers) destroy()
      server.close(() => resolve())
    })
  }
}

module.exports = { startProxy }
