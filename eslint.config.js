// Lint: neostandard (standard's style as an ESLint flat config), TypeScript included.
'use strict'
const neostandard = require('neostandard')

module.exports = neostandard({
  ts: true,
  ignores: ['dist/**', 'coverage/**', 'node_modules/**', '.tap/**', 'bench/results/**']
})
