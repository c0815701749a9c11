// @ts-check
// Part 5: the README chart. Body bytes a client put on the wire per rejected
// upload (mean of the four reasons) against the round-trip time, one line per
// server, as plain SVG text built from the bench's own figures.
'use strict'

const WIDTH = 790
const HEIGHT = 420
const M = { left: 78, right: 220, top: 64, bottom: 58 }

/** @param {string} s */
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A round axis maximum: 1, 2 or 5 times a power of ten, at least `value`. @param {number} value */
function niceMax (value) {
  if (!(value > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const f of [1, 2, 2.5, 5, 10]) if (f * power >= value) return f * power
  return 10 * power
}

/** @param {number} bytes */
function formatBytes (bytes) {
  if (bytes === 0) return '0'
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`
  return `${Math.round(bytes)} B`
}

/**
 * @typedef {{ name: string, color: string, dash?: string, marker: 'circle' | 'square' | 'diamond', points: Array<{ rttMs: number, bytes: number }> | undefined, note?: string }} ChartSeries
 */

/**
 * @param {{ title: string, subtitle: string, series: ChartSeries[] }} chart
 * @returns {string} SVG document
 */
function renderChart (chart) {
  const plotW = WIDTH - M.left - M.right
  const plotH = HEIGHT - M.top - M.bottom
  const present = chart.series.filter((s) => s.points !== undefined && s.points.length > 0)
  const rtts = [...new Set(present.flatMap((s) => (s.points ?? []).map((p) => p.rttMs)))].sort((a, b) => a - b)
  const xMax = Math.max(...rtts, 1)
  const yMax = niceMax(Math.max(...present.flatMap((s) => (s.points ?? []).map((p) => p.bytes)), 1))
  const x = (/** @type {number} */ v) => M.left + (v / xMax) * plotW
  const y = (/** @type {number} */ v) => M.top + plotH - (v / yMax) * plotH
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`)
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="bold" fill="#111">${esc(chart.title)}</text>`)
  out.push(`<text x="${M.left}" y="44" fill="#555">${esc(chart.subtitle)}</text>`)
  // Grid and y axis.
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i
    out.push(`<line x1="${M.left}" y1="${y(v).toFixed(1)}" x2="${M.left + plotW}" y2="${y(v).toFixed(1)}" stroke="${i === 0 ? '#333' : '#e3e3e3'}"/>`)
    out.push(`<text x="${M.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#333">${formatBytes(v)}</text>`)
  }
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#333"/>`)
  for (const r of rtts) {
    out.push(`<line x1="${x(r).toFixed(1)}" y1="${M.top + plotH}" x2="${x(r).toFixed(1)}" y2="${M.top + plotH + 5}" stroke="#333"/>`)
    out.push(`<text x="${x(r).toFixed(1)}" y="${M.top + plotH + 19}" text-anchor="middle" fill="#333">${r}</text>`)
  }
  out.push(`<text x="${M.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle" fill="#333">round-trip time (ms)</text>`)
  out.push(`<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">body bytes sent per rejected upload</text>`)
  // Series: drawn in order, so later ones sit on top where lines coincide.
  chart.series.forEach((s, index) => {
    const legendY = M.top + 8 + index * 40
    const legendX = M.left + plotW + 18
    out.push(`<line x1="${legendX}" y1="${legendY}" x2="${legendX + 26}" y2="${legendY}" stroke="${s.color}" stroke-width="3"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`)
    out.push(`<text x="${legendX + 34}" y="${legendY + 4}" fill="#111">${esc(s.name)}</text>`)
    if (s.note) out.push(`<text x="${legendX + 34}" y="${legendY + 19}" fill="#666" font-size="11">${esc(s.note)}</text>`)
    if (s.points === undefined || s.points.length === 0) return
    const pts = s.points.map((p) => `${x(p.rttMs).toFixed(1)},${y(p.bytes).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="${s.dash ? 5 : 2.5}"${s.dash ? ` stroke-dasharray="${s.dash}" stroke-opacity="0.75"` : ''}/>`)
    for (const p of s.points) {
      const cx = x(p.rttMs)
      const cy = y(p.bytes)
      if (s.marker === 'circle') out.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4.5" fill="${s.color}"/>`)
      else if (s.marker === 'square') out.push(`<rect x="${(cx - 4).toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="8" height="8" fill="${s.color}"/>`)
      else out.push(`<path d="M${cx.toFixed(1)} ${(cy - 6).toFixed(1)} l6 6 l-6 6 l-6 -6 z" fill="${s.color}"/>`)
      if (p.bytes > 0) out.push(`<text x="${cx.toFixed(1)}" y="${(cy - 10).toFixed(1)}" text-anchor="${p.rttMs === xMax ? 'end' : 'start'}" fill="${s.color}" font-size="11">${formatBytes(p.bytes)}</text>`)
    }
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

module.exports = { renderChart, formatBytes }
