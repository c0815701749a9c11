// @ts-check
// BENCHMARKS.md holds the report of `npm run bench` and sections written by other
// scripts (bench/instructions.js, bench/soak.js), each between its own markers:
// every script rewrites its own part and keeps the others'.
'use strict'
const fs = require('node:fs')

const marker = (/** @type {string} */ name, /** @type {'start' | 'end'} */ end) => `<!-- ${name}:${end} -->`

/** The marked sections of a file, by name. @param {string} file @returns {Map<string, string>} */
function sectionsOf (file) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  const found = new Map()
  for (const match of text.matchAll(/<!-- ([a-z0-9-]+):start -->\n[\s\S]*?<!-- \1:end -->/g)) found.set(match[1], match[0])
  return found
}

/** Writes one section into the file: replaced where it stands, else appended. @param {string} file @param {string} name @param {string} body */
function writeSection (file, name, body) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  const section = `${marker(name, 'start')}\n${body.trim()}\n${marker(name, 'end')}`
  const existing = sectionsOf(file).get(name)
  fs.writeFileSync(file, existing === undefined ? `${text.trimEnd()}\n\n${section}\n` : text.replace(existing, () => section))
}

module.exports = { sectionsOf, writeSection }
