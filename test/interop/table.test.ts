// The README's client table is the interop suite's results, rendered by
// test/interop-table.js (`npm run interop:table`): checked here, with the
// rules that turn each client's cases into a row.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { bodyWhenRefused, END, README, readResults, renderTable, sendsExpect, START, waits, whenRefused, withTable } from '../../scripts/interop-table'
import { differsFromRecording, type CaseFacts, type ClientFacts } from '../helpers/interop'

t.test('the README shows the table of the recorded results', async (t) => {
  const readme = readFileSync(README, 'utf8')
  t.ok(readme.includes(START) && readme.includes(END), 'the markers are in the README')
  t.equal(withTable(readme, renderTable(readResults())), readme, 'up to date: after a change in test/interop-results, run `npm run interop:table`')
})

t.test('one row per recorded client, each complete', async (t) => {
  const results = readResults()
  t.ok(results.length >= 10, `${results.length} clients recorded`)
  const table = renderTable(results).split('\n')
  t.equal(table.length, results.length + 2, 'header, rule, one row each')
  for (const facts of results) {
    t.ok(facts.client !== '' && facts.protocol !== '' && facts.cases.length > 0, facts.id)
    t.ok(facts.cases.some((c) => c.answered >= 300), `${facts.id}: has a refusal`)
  }
})

const refusal = (status: number, extra: Partial<CaseFacts> = {}): CaseFacts =>
  ({ case: `refused ${status}`, answered: status, reported: String(status), expectSent: true, body: 'none', ...extra })
const client = (cases: CaseFacts[], extra: Partial<ClientFacts> = {}): ClientFacts =>
  ({ id: 'x', client: 'x', protocol: 'HTTP/1.1', notes: '', cases, ...extra })

t.test('the rows say what the cases show', async (t) => {
  const waiting = client([{ case: 'ok', answered: 201, reported: '201', expectSent: true, continueSeen: true, body: 'all' }, refusal(413), refusal(401)])
  t.equal(sendsExpect(waiting), 'always')
  t.equal(waits(waiting), 'yes')
  t.equal(whenRefused(waiting), 'the status (413, 401)')
  t.equal(bodyWhenRefused(waiting), 'none')

  const eager = client([refusal(413, { expectSent: false, body: 'at once' })])
  t.equal(sendsExpect(eager), 'never')
  t.equal(waits(eager), 'n/a (no Expect)')
  t.equal(bodyWhenRefused(eager), 'sent at once, all or part')
  t.equal(sendsExpect(client([refusal(413)], { expectWhen: 'bodies over 1 MiB' })), 'bodies over 1 MiB')

  const mixed = client([refusal(413), refusal(401, { case: 'streamed', body: 'at once' })])
  t.equal(waits(mixed), 'yes, except: streamed')
  t.equal(bodyWhenRefused(mixed), 'none (refused 413); sent at once, all or part (streamed)')

  // A client that hangs on refusals, and reports errors that come after a 100: those are not refusals before the body.
  const hanging = client([
    refusal(413, { reported: 'no answer (hung)' }),
    refusal(404, { reported: 'no answer (hung)' }),
    refusal(400, { continueSeen: true, body: 'all' })
  ])
  t.equal(waits(hanging), 'yes')
  t.equal(whenRefused(hanging), 'no answer (hung) (for 413, 404)')
  t.equal(bodyWhenRefused(hanging), 'none')
  t.equal(whenRefused(client([refusal(413, { reported: '413 EntityTooLarge' })])), 'the status (413 EntityTooLarge)')
})

t.test('the README needs its markers', async (t) => {
  t.throws(() => withTable('# no markers\n', '| table |'), /markers/)
  t.equal(withTable(`a\n${START}\nold\n${END}\nb`, '| new |'), `a\n${START}\n| new |\n${END}\nb`)
})

t.test('re-measured rows: the cells must match their recording, within the stated tolerance', async (t) => {
  const recorded = refusal(401, { race: true, body: 'at once' })
  t.equal(differsFromRecording(refusal(401, { race: true, body: 'at once' }), recorded), undefined, 'the same')
  t.equal(differsFromRecording(refusal(401, { race: true, body: 'none', reported: 'error 92' }), recorded), undefined, 'either outcome of the race, and an answer lost to the reset')
  t.match(differsFromRecording(refusal(401, { race: true, reported: '200' }), recorded), /reported 200/, 'any other answer differs')
  t.match(differsFromRecording(refusal(413, { body: 'at once' }), refusal(413)), /body at once, recorded none/, 'a waiting client that sent its body differs')
  t.match(differsFromRecording(refusal(413, { continueSeen: true }), refusal(413)), /100 seen true/)
  t.match(differsFromRecording(refusal(413, { expectSent: false }), refusal(413)), /Expect sent false/)
})
