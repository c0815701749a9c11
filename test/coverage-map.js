// Coverage is measured on the plugin's source: the demo, the examples' shared
// client and the benchmarks are exercised by the tests but are not the product.
'use strict'
const { readdirSync } = require('node:fs')
const { join } = require('node:path')
const sources = readdirSync(join(__dirname, '..', 'plugin')).filter((f) => f.endsWith('.ts')).map((f) => `plugin/${f}`)
module.exports = () => sources
