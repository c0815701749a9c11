// @ts-check
'use strict'

/** @param {number[]} values */
function median (values) {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = (s.length - 1) / 2
  return ((s[Math.floor(mid)] ?? NaN) + (s[Math.ceil(mid)] ?? NaN)) / 2
}

/** Least-squares slope of ys over xs. @param {number[]} xs @param {number[]} ys */
function slope (xs, ys) {
  const mean = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0) / v.length
  const mx = mean(xs)
  const my = mean(ys)
  let num = 0
  let den = 0
  xs.forEach((x, i) => { num += (x - mx) * ((ys[i] ?? NaN) - my); den += (x - mx) ** 2 })
  return den === 0 ? NaN : num / den
}

module.exports = { median, slope }
