// Answers whose head the plugin does not hear in Node's writeHead (a response class or a
// response with a writeHead of its own, calling Node's original) or hears before it knew of the
// request (an app's listener on checkContinue that answers first): the refusal still closes in
// stages (the client that keeps sending reads its answer and gets the server's FIN, no EPIPE or
// reset), and its verdict is published. In a child process: Node's writeHead is taken there
// before the plugin wraps it.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

interface Seen { name: string, status?: string, continued: boolean, fin: boolean, error?: string, verdicts: string[] }

t.test('refusals whose head the plugin does not hear in writeHead: staged close and a verdict all the same', async (t) => {
  const out = execFileSync(process.execPath, ['--no-warnings', join(__dirname, 'fixtures', 'own-writehead.js')], { encoding: 'utf8' })
  const results = JSON.parse(out) as Seen[]
  t.equal(results.length, 3)
  for (const seen of results) {
    const status = seen.name === 'answered before the plugin heard of it' ? '503' : '401'
    t.same({ status: seen.status, continued: seen.continued, fin: seen.fin, error: seen.error },
      { status, continued: false, fin: true, error: undefined }, `${seen.name}: ${status} read, no 100, the server's FIN after the 4 MiB that followed`)
    t.same(seen.verdicts, [`refused hook ${status}`], `${seen.name}: its verdict published`)
  }
})
