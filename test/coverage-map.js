// Coverage is measured on the three products' source: the demo, the examples'
// shared client and the benchmarks are exercised by the tests but are not the product.
'use strict'
const { readdirSync } = require('node:fs')
const { join } = require('node:path')
const root = join(__dirname, '..')
const sources = ['plugin', 'gateway', 'probe'].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`))
module.exports = () => sources
