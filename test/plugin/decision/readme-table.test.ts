// The README's decision table is the tests' table (decision-table.js), rendered:
// `npm run decision:table -- --write` regenerates it; this test fails when they differ.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { withTable } from './decision-table'

t.test('the README\'s decision table is generated from the rows the tests run', async (t) => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8')
  t.equal(withTable(readme), readme, 'README.md is up to date (npm run decision:table -- --write)')
})
