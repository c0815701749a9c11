// @ts-check
// The goals, checked against the figures: each one met or missed, and
// by how much.
'use strict'

const GOALS = {
  /** Plugin / plain server CPU per request, requests without an expectation (best rounds). */
  overheadRatio: 1.01,
  /** Plugin / plain, accepted uploads: server CPU per request, time to the 100 (median, p99). */
  expectationRatio: 1.05,
  /** Heap and RSS after the memory run, after a GC, against the start (after the warm-up). */
  memoryBackWithinBytes: 5 * 1024 * 1024,
  /** Heap growth per request over the second half of the memory run (after GCs). */
  heapBytesPerRequest: 8
}

/**
 * @typedef {object} GoalResult
 * @property {string} part
 * @property {string} goal
 * @property {string} measured
 * @property {boolean | undefined} met undefined: not measured in this run
 * @property {string} verdict e.g. 'met', 'missed by 2.3 points'
 */

/** @param {number} ratio */
const pct = (ratio) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`

/**
 * @param {number} ratio
 * @param {number} limit
 * @returns {{ met: boolean, verdict: string }}
 */
function ratioVerdict (ratio, limit) {
  if (!Number.isFinite(ratio)) return { met: false, verdict: 'not measured' }
  if (ratio <= limit) return { met: true, verdict: 'met' }
  return { met: false, verdict: `missed by ${((ratio - limit) * 100).toFixed(1)} points (${pct(ratio)} against ${pct(limit)})` }
}

/**
 * @param {import('./run').Results} results
 * @returns {GoalResult[]}
 */
function evaluateGoals (results) {
  /** @type {GoalResult[]} */
  const goals = []
  for (const row of results.overhead?.rows ?? []) {
    goals.push({
      part: '1. overhead without an expectation',
      goal: `${row.kind}: server CPU per request, plugin / plain <= ${GOALS.overheadRatio}`,
      measured: `${row.ratio.toFixed(3)} (${pct(row.ratio)}; median of ${row.blocks.length} process pairs, ${row.ratioLow.toFixed(3)} to ${row.ratioHigh.toFixed(3)})`,
      ...ratioVerdict(row.ratio, GOALS.overheadRatio)
    })
  }
  for (const row of results.expectation?.rows ?? []) {
    const plain = row.sides.find((s) => s.mode === 'plain')
    const plugin = row.sides.find((s) => s.mode === 'plugin')
    if (plain === undefined || plugin === undefined) continue
    const figures = [
      ['server CPU per request', plugin.cpuBest / plain.cpuBest],
      ['last head byte to 100, median', plugin.latencyMedian / plain.latencyMedian],
      ['last head byte to 100, p99', plugin.latencyP99 / plain.latencyP99]
    ]
    for (const [what, ratio] of /** @type {Array<[string, number]>} */ (figures)) {
      goals.push({
        part: '2. expectation path',
        goal: `${formatSize(row.size)} upload, ${what}: within ${pct(GOALS.expectationRatio)} of plain Fastify`,
        measured: `${ratio.toFixed(2)}x (${pct(ratio)})`,
        ...ratioVerdict(ratio, GOALS.expectationRatio)
      })
    }
  }
  const memory = results.memory
  if (memory !== undefined) {
    const mib = (/** @type {number} */ b) => `${(b / 1048576).toFixed(1)} MiB`
    for (const [what, growth] of /** @type {Array<[string, number]>} */ ([['heap', memory.heapGrowth], ['RSS', memory.rssGrowth]])) {
      const met = growth <= GOALS.memoryBackWithinBytes
      goals.push({
        part: '4. memory',
        goal: `${what} after ${memory.total.toLocaleString('en-US')} requests (after a GC) within ${mib(GOALS.memoryBackWithinBytes)} of the start`,
        measured: `${growth >= 0 ? '+' : ''}${mib(growth)}`,
        met,
        verdict: met ? 'met' : `missed by ${mib(growth - GOALS.memoryBackWithinBytes)}`
      })
    }
    const perRequest = memory.lateHeapBytesPerRequest
    const met = Math.abs(perRequest) <= GOALS.heapBytesPerRequest
    goals.push({
      part: '4. memory',
      goal: `no heap growth per request (second half of the run, |slope| <= ${GOALS.heapBytesPerRequest} bytes per request)`,
      measured: `${perRequest.toFixed(2)} bytes per request`,
      met,
      verdict: met ? 'met' : `missed by ${(Math.abs(perRequest) - GOALS.heapBytesPerRequest).toFixed(1)} bytes per request`
    })
  }
  return goals
}

/** @param {number} bytes */
function formatSize (bytes) {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} B`
}

module.exports = { GOALS, evaluateGoals, formatSize, pct }
