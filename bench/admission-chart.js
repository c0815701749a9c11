// @ts-check
// The SVG chart of bench/admission.js: for each run, side by side, the bodies in
// flight at the server (blue, left scale) and its RSS (red, right scale) over
// time, on the same scales so the two runs compare at a glance.
'use strict'

const W = 440
const H = 260
const M = { left: 48, right: 56, top: 36, bottom: 40 }

/**
 * @param {Array<{ label: string, seconds: number, samples: Array<{ t: number, inFlight: number, rss: number }> }>} runs
 * @param {{ clients: number, size: number }} burst
 */
function chart (runs, burst) {
  const maxT = Math.max(...runs.flatMap((r) => r.samples.map((s) => s.t)), 1)
  const maxN = Math.max(...runs.flatMap((r) => r.samples.map((s) => s.inFlight)), 1)
  const maxRss = Math.max(...runs.flatMap((r) => r.samples.map((s) => s.rss)), 1) / 1024 / 1024
  const rssTop = Math.ceil(maxRss / 100) * 100
  const nTop = Math.max(10, Math.ceil(maxN / 10) * 10)
  const tTop = Math.ceil(maxT / 5) * 5
  const panels = runs.map((run, i) => panel(run, i * W, { tTop, nTop, rssTop }))
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * runs.length}" height="${H + 24}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${(W * runs.length) / 2}" y="16" text-anchor="middle" font-size="13">${burst.clients} uploads of ${Math.round(burst.size / 1024 / 1024)} MB at once: bodies arriving at the sockets (blue) and server RSS (red) over time</text>
${panels.join('\n')}
</svg>
`
}

/** @param {{ label: string, samples: Array<{ t: number, inFlight: number, rss: number }> }} run @param {number} x0 @param {{ tTop: number, nTop: number, rssTop: number }} s */
function panel (run, x0, { tTop, nTop, rssTop }) {
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const y0 = 24
  const x = (/** @type {number} */ t) => (x0 + M.left + (t / tTop) * pw).toFixed(1)
  const yN = (/** @type {number} */ n) => (y0 + M.top + ph - (n / nTop) * ph).toFixed(1)
  const yR = (/** @type {number} */ mb) => (y0 + M.top + ph - (mb / rssTop) * ph).toFixed(1)
  const inFlight = run.samples.map((p) => `${x(p.t)},${yN(p.inFlight)}`).join(' ')
  const rss = run.samples.map((p) => `${x(p.t)},${yR(p.rss / 1024 / 1024)}`).join(' ')
  const ticks = []
  for (let t = 0; t <= tTop; t += tTop / 5) ticks.push(`<line x1="${x(t)}" y1="${y0 + M.top + ph}" x2="${x(t)}" y2="${y0 + M.top + ph + 4}" stroke="#333"/><text x="${x(t)}" y="${y0 + M.top + ph + 16}" text-anchor="middle">${t} s</text>`)
  for (let k = 0; k <= 4; k++) {
    const n = (nTop * k) / 4
    const mb = (rssTop * k) / 4
    ticks.push(`<line x1="${x0 + M.left}" y1="${yN(n)}" x2="${x0 + M.left + pw}" y2="${yN(n)}" stroke="#eee"/>`)
    ticks.push(`<text x="${x0 + M.left - 6}" y="${yN(n)}" text-anchor="end" dominant-baseline="middle" fill="#1f5fbf">${n}</text>`)
    ticks.push(`<text x="${x0 + M.left + pw + 6}" y="${yR(mb)}" dominant-baseline="middle" fill="#c0392b">${mb} MB</text>`)
  }
  return `<g>
<text x="${x0 + M.left + pw / 2}" y="${y0 + M.top - 10}" text-anchor="middle" font-weight="bold">${run.label}</text>
${ticks.join('\n')}
<rect x="${x0 + M.left}" y="${y0 + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>
<polyline points="${inFlight}" fill="none" stroke="#1f5fbf" stroke-width="1.5"/>
<polyline points="${rss}" fill="none" stroke="#c0392b" stroke-width="1.5"/>
</g>`
}

module.exports = { chart }
