// @ts-check
// Part 3: uploads that are rejected. A 100 MB body, refused for its size, its
// type, a missing token or an unknown route, sent through bench/proxy.js (a
// round-trip time and a 100 Mbit/s link) by a client that behaves like curl:
// it sends `Expect: 100-continue`, waits up to 1 s for the 100 (then sends
// anyway), and stops sending the moment it has a final status.
//
// Per upload: the body bytes the client had put on the wire when it got its
// final status (taken by the proxy from the client), how many of those reached
// the server, and the time from the last head byte to the final status. The
// physical limit is no body byte at all and one round trip.
'use strict'
const { TOKEN } = require('../examples/upload-app')
const { rawRequest, head } = require('../examples/lib/raw-client')
const { startProxy } = require('./proxy')
const { median } = require('./stats')

const BODY_SIZE = 100_000_000

/** The four ways an upload is refused before its body; the same requests for every server. */
/** @type {Array<{ name: string, expected: number, requestLine: string, headers: Record<string, string> }>} */
const CASES = [
  { name: 'size', expected: 413, requestLine: 'PUT /files/big.bin HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream' } },
  { name: 'type', expected: 415, requestLine: 'PUT /files/big.csv HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'text/csv' } },
  { name: 'auth', expected: 401, requestLine: 'PUT /files/big.bin HTTP/1.1', headers: { 'content-type': 'application/octet-stream' } },
  { name: 'route', expected: 404, requestLine: 'PUT /nowhere/big.bin HTTP/1.1', headers: { authorization: TOKEN, 'content-type': 'application/octet-stream' } }
]

/**
 * @typedef {object} RejectedRow
 * @property {string} server
 * @property {number} rttMs
 * @property {string} case
 * @property {string} status the final statuses the runs got, e.g. '413', or '413 or none' (none: the connection was reset first)
 * @property {boolean} continueSent a 100 came before the final status (in any run)
 * @property {number} wireBytes body bytes the client had put on the wire when it had its final status (median of runs)
 * @property {number} serverBytes of those, bytes that reached the server (median of runs)
 * @property {number} timeMs last head byte to final status (median of the runs that got one; NaN if none did)
 * @property {number} runs
 * @property {string[]} problems runs that did not end as expected
 */

/**
 * @param {number} port
 * @param {typeof CASES[number]} c
 * @param {Buffer} body
 */
function upload (port, c, body) {
  const requestHead = head(c.requestLine, { host: 'localhost', ...c.headers, 'content-length': body.length, expect: '100-continue' })
  return {
    headLength: Buffer.byteLength(requestHead),
    exchange: rawRequest({
      port,
      head: requestHead,
      body,
      sendBody: { afterMs: 1000, onContinue: true },
      stopBodyOnFinal: true,
      timeoutMs: 30000,
      lingerMs: 20
    })
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * @param {{ servers: Array<{ name: string, port: number }>, rtts: number[], mbps: number, runs: number, log: (line: string) => void }} options
 * @returns {Promise<{ rows: RejectedRow[], bodySize: number, mbps: number, runs: number, rtts: number[] }>}
 */
async function measureRejected (options) {
  const { servers, rtts, mbps, runs, log } = options
  const body = Buffer.alloc(BODY_SIZE, 5)
  /** @type {RejectedRow[]} */
  const rows = []
  for (const rttMs of rtts) {
    for (const server of servers) {
      const proxy = await startProxy({ targetPort: server.port, rttMs, mbps })
      try {
        // One upload, not counted, through the new proxy first: the first one is slower (JIT, connection setup).
        const warm = upload(proxy.port, /** @type {typeof CASES[number]} */ (CASES[1]), body)
        await warm.exchange
        proxy.connections[0]?.destroy()
        for (const c of CASES) {
          /** @type {Array<{ status: number | undefined, continueSent: boolean, wire: number, atServer: number, time: number }>} */
          const results = []
          /** @type {string[]} */
          const problems = []
          for (let run = 0; run < runs; run++) {
            const before = proxy.connections.length
            const { headLength, exchange } = upload(proxy.port, c, body)
            const r = await exchange
            const connection = proxy.connections[before]
            if (connection === undefined) throw new Error(`no proxied connection for ${server.name} ${c.name}`)
            const cut = r.finalAt ?? performance.now()
            // Bytes already on the wire when the client stopped still arrive.
            const deadline = performance.now() + rttMs + 2000
            while (connection.inFlight(cut) && performance.now() < deadline) await sleep(5)
            connection.destroy()
            await Promise.race([connection.closed, sleep(1000)])
            if (r.status !== c.expected) problems.push(`run ${run + 1}: ${r.status ?? 'no final status'}${r.reset ? ' (reset)' : ''}`)
            results.push({
              status: r.status,
              continueSent: r.continueAt !== undefined && (r.finalAt === undefined || r.continueAt <= r.finalAt),
              wire: Math.max(0, connection.clientBytes(cut) - headLength),
              atServer: Math.max(0, connection.serverBytes(cut) - headLength),
              time: r.finalAt === undefined ? NaN : r.finalAt - r.headSentAt
            })
          }
          const row = {
            server: server.name,
            rttMs,
            case: c.name,
            status: [...new Set(results.map((x) => x.status === undefined ? 'none' : String(x.status)))].join(' or '),
            continueSent: results.some((x) => x.continueSent),
            wireBytes: median(results.map((x) => x.wire)),
            serverBytes: median(results.map((x) => x.atServer)),
            // Runs that ended without a final status (a reset) have no such time.
            timeMs: median(results.map((x) => x.time).filter((t) => Number.isFinite(t))),
            runs,
            problems
          }
          rows.push(row)
          log(`  RTT ${rttMs} ms, ${server.name}, ${c.name}: ${row.continueSent ? '100 + ' : ''}${row.status}, ${row.wireBytes} body bytes sent, ${row.serverBytes} reached the server, ${Number.isFinite(row.timeMs) ? `final status after ${row.timeMs.toFixed(1)} ms` : 'no final status'}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`)
        }
      } finally {
        await proxy.close()
      }
    }
  }
  return { rows, bodySize: BODY_SIZE, mbps, runs, rtts }
}

/**
 * Sanity check, without the proxy: an accepted upload gets 100 and then a 2xx,
 * and the server takes its body.
 * @param {number} port
 * @param {number} size
 */
async function checkAccepted (port, size) {
  const body = Buffer.alloc(size, 1)
  const r = await rawRequest({
    port,
    head: head('PUT /files/ok.bin HTTP/1.1', { host: 'localhost', authorization: TOKEN, 'content-type': 'application/octet-stream', 'content-length': size, expect: '100-continue' }),
    body,
    sendBody: { afterMs: 1000, onContinue: true },
    timeoutMs: 10000
  })
  return { continueSent: r.continueAt !== undefined, status: r.status, bodyBytesSent: r.bodyBytesSent }
}

module.exports = { measureRejected, checkAccepted, CASES, BODY_SIZE }
