// @ts-check
// Markdown tables (readable in a terminal too) and number formats.
'use strict'
const { median } = require('./stats')

/** @param {number} n @param {number} [digits] */
const fmt = (n, digits = 0) => Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-'

/** Median and range of ratios. @param {number[]} values */
const ratio = (values) => `${fmt(median(values), 3)} (${fmt(Math.min(...values), 3)} to ${fmt(Math.max(...values), 3)})`

/** @param {number} bytes */
const mib = (bytes) => fmt(bytes / 1024 / 1024, 1)

/** @param {string[]} head @param {string[][]} rows */
function table (head, rows) {
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

module.exports = { table, fmt, ratio, mib }
