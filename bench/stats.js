// @ts-check
// Small statistics helpers shared by the benchmark parts.
'use strict'

/** @param {number[]} values */
function sorted (values) {
  return [...values].sort((a, b) => a - b)
}

/**
 * The q-quantile (0..1) by linear interpolation; NaN for no values.
 * @param {number[]} values
 * @param {number} q
 */
function quantile (values, q) {
  if (values.length === 0) return NaN
  const s = sorted(values)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = /** @type {number} */ (s[lo])
  const b = /** @type {number} */ (s[hi])
  return a + (b - a) * (pos - lo)
}

/** @param {number[]} values */
const median = (values) => quantile(values, 0.5)

/** @param {number[]} values */
const min = (values) => values.length === 0 ? NaN : Math.min(...values)

/** @param {number[]} values */
const mean = (values) => values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length

/**
 * Least-squares slope of y over x.
 * @param {number[]} xs
 * @param {number[]} ys
 */
function slope (xs, ys) {
  const mx = mean(xs)
  const my = mean(ys)
  let num = 0
  let den = 0
  xs.forEach((x, i) => {
    num += (x - mx) * (/** @type {number} */ (ys[i]) - my)
    den += (x - mx) ** 2
  })
  return den === 0 ? NaN : num / den
}

module.exports = { quantile, median, min, mean, slope }
