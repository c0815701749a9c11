// The README's proxy section is the proxy suite's results, rendered by test/proxy-table.js
// (`npm run proxies:table`): checked here, with the rules that turn a tally into cells.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { bytes, END, lost, README, readResults, renderSection, renderTable, START, totals, withSection } from '../../scripts/proxy-table'
import type { ProxyFacts, Tally } from '../helpers/proxy-run'

const readme = readFileSync(README, 'utf8')
const markers = readme.includes(START) && readme.includes(END)

t.test('the README shows the section of the recorded results', { skip: markers ? false : `README.md has no ${START} ... ${END} markers yet` }, async (t) => {
  t.equal(withSection(readme, renderSection(readResults())), readme, 'up to date: after a change in test/proxy-results, run `npm run proxies:table`')
})

t.test('one row per recorded proxy setting, each with both apps', async (t) => {
  const results = readResults()
  t.ok(results.length >= 5, `${results.length} proxy settings recorded`)
  t.equal(renderTable(results).split('\n').length, results.length + 2, 'header, rule, one row each')
  for (const f of results) t.ok(f.plugin.tries > 0 && f.plain.tries > 0 && f.version !== '' && /^\d{4}-\d\d-\d\d$/.test(f.recorded), f.id)
  t.match(renderSection(results), /The table is one recorded sample \(recorded \d{4}-\d\d-\d\d/, 'labelled as one dated sample')
})

const tally = (extra: Partial<Tally> = {}): Tally => ({
  tries: 8, reported: { 401: 4, 413: 4 }, lost: 0, clientSentMax: 0, clientSentMedian: 0, appReadMax: 0, appReadMedian: 0, expectAtApp: 8, ...extra
})

t.test('the cells say what the tallies show', async (t) => {
  t.equal(lost(tally()), '0 of 8')
  t.equal(lost(tally({ lost: 3, reported: { 401: 4, 413: 1, 502: 2, 'curl error 55': 1 } })), '**3 of 8** (502 ×2, curl error 55 ×1)')
  t.equal(bytes(tally()), '0 / 0')
  t.equal(bytes(tally({ clientSentMedian: 20 * 1024 * 1024, clientSentMax: 20 * 1024 * 1024, appReadMedian: 2.5 * 1024 * 1024, appReadMax: 9 * 1024 * 1024 })), '20 MiB / 2.5 MiB (max 9 MiB)')
  const facts = (plugin: Tally, plain: Tally): ProxyFacts => ({ id: 'x', proxy: 'x', version: '1', recorded: '2026-11-28', forwardsExpect: true, proxyContinue: 'never', uploadBytes: 1, plugin, plain })
  t.match(totals([facts(tally(), tally({ lost: 2 })), facts(tally({ lost: 1 }), tally())]), /1 of 16 refusals were lost with fastify-expect, and 2 of 16 with plain Fastify/)
})

t.test('the README needs its markers', async (t) => {
  t.throws(() => withSection('# no markers\n', 'x'), /markers/)
  t.equal(withSection(`a\n${START}\nold\n${END}\nb`, 'new'), `a\n${START}\nnew\n${END}\nb`)
})
