#!/usr/bin/env node
// The coverage floors `npm test` enforces, per product, on what tap measured (.tap/report/
// coverage-final.json, written by the `json` coverage report of .taprc). tap's own check is all or
// nothing (100% of everything, or `allow-incomplete-coverage`); Fastify's plugins run `c8 --100` on
// their core: so does this, on the plugin's decision core, with stated floors elsewhere.
// A line that cannot run (a defensive branch) is marked `/* c8 ignore next */` with its reason.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { createCoverageMap, createCoverageSummary } = require('istanbul-lib-coverage')

const root = path.join(__dirname, '..')
const REPORT = path.join(root, '.tap', 'report', 'coverage-final.json')

/** Folder -> minimum % of lines, branches and functions (each folder includes the ones beneath it). */
const FLOORS = {
  'plugin/decision/': { lines: 100, branches: 100, functions: 100 },
  'plugin/': { lines: 99, branches: 93, functions: 95 },
  'gateway/': { lines: 98, branches: 95, functions: 95 },
  'probe/': { lines: 98, branches: 95, functions: 95 }
}

function main () {
  if (!fs.existsSync(REPORT)) {
    console.error(`coverage: no ${path.relative(root, REPORT)} (run tap with the json coverage report, as .taprc does)`)
    process.exitCode = 1
    return
  }
  const map = createCoverageMap(JSON.parse(fs.readFileSync(REPORT, 'utf8')))
  const failures = []
  for (const [folder, floor] of Object.entries(FLOORS)) {
    const summary = createCoverageSummary()
    const files = map.files().filter((f) => path.relative(root, f).startsWith(folder))
    for (const f of files) summary.merge(map.fileCoverageFor(f).toSummary())
    const figures = Object.keys(floor).map((kind) => `${kind} ${summary[kind].pct}% (floor ${floor[kind]}%)`).join(', ')
    console.log(`coverage: ${folder} (${files.length} files): ${figures}`)
    if (files.length === 0) failures.push(`${folder}: no file measured`)
    for (const [kind, minimum] of Object.entries(floor)) {
      if (summary[kind].pct < minimum) {
        const missed = files.flatMap((f) => map.fileCoverageFor(f).getUncoveredLines().map((line) => `${path.relative(root, f)}:${line}`))
        failures.push(`${folder}: ${kind} ${summary[kind].pct}% < ${minimum}%${kind === 'lines' ? ` (uncovered: ${missed.slice(0, 20).join(' ')})` : ''}`)
      }
    }
  }
  for (const failure of failures) console.error(`coverage: below the floor: ${failure}`)
  if (failures.length > 0) process.exitCode = 1
}

main()
