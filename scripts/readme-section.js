// @ts-check
// What the README generators share: reading recorded results, and putting a
// generated section between its markers (or checking that it is there).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const README = path.join(__dirname, '..', 'README.md')

/** Every JSON file of a results directory, in name order. @param {string} dir @returns {any[]} */
function readResults (dir) {
  return fs.readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')))
}

/** The README with `text` between the markers. @param {string} readme @param {string} start @param {string} end @param {string} text */
function between (readme, start, end, text) {
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from === -1 || to === -1 || to < from) throw new Error(`README.md has no ${start} ... ${end} markers`)
  return `${readme.slice(0, from + start.length)}\n${text}\n${readme.slice(to)}`
}

/**
 * Writes the section, or with --check only says whether it is up to date (exit 1 if not).
 * @param {{ start: string, end: string, text: string, what: string, script: string, count: string }} section
 */
function updateReadme ({ start, end, text, what, script, count }) {
  const readme = fs.readFileSync(README, 'utf8')
  const updated = between(readme, start, end, text)
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error(`README.md: the ${what} is out of date; run \`npm run ${script}\``)
      process.exit(1)
    }
    console.log(`README.md: the ${what} is up to date`)
    return
  }
  if (updated !== readme) fs.writeFileSync(README, updated)
  console.log(`README.md: ${what} ${updated === readme ? 'already up to date' : 'rewritten'} (${count})`)
}

module.exports = { README, readResults, between, updateReadme }
