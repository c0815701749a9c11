// The decision table (test/plugin/decision/decision-table.js), row by row, as curl sends it: each
// situation with `Expect` and without it, one answer per request, the same final status either way
// unless the row says why not; with Expect, a refused upload is answered before curl sends a body
// byte. In the interop suite, beside the other curl tests; the raw client's run of the same rows is
// in npm test (test/plugin/decision/decision-table.test.ts).
import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { listen, type Listening } from '../helpers/server'
import { runCurl } from '../helpers/curl'
import { tempDir } from '../helpers/interop'
import { requireTool } from '../helpers/tools'
import { rows, type Row } from '../plugin/decision/decision-table'
import { bodyKept, expectation, payloadOf, routes, without } from '../plugin/decision/decision-table-app'

// Over HTTP/1.0 curl still waits for the 100 it was told to expect, its whole
// timeout, then sends the body: the server rightly sends no 100 there.
function curlArgs (row: Row, file: string, origin: string, expect: boolean): string[] {
  const { method = 'POST', path, type, chunked, version, headers = {} } = row.request
  return [
    '--expect100-timeout', '5',
    ...(version === '1.0' ? ['--http1.0'] : []),
    '-X', method,
    '-H', `Content-Type:${type === undefined ? '' : ` ${type}`}`, // none unless the row sends one (curl adds a form type)
    ...(chunked === true ? ['-H', 'Transfer-Encoding: chunked'] : []),
    '-H', expect ? `Expect: ${expectation(row)}` : 'Expect:',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    '--data-binary', `@${file}`,
    '-o', '/dev/null',
    `${origin}${path}`
  ]
}

async function curlRow (t: Test, server: Listening, dir: string, row: Row, index: number): Promise<void> {
  const file = join(dir, `row-${index}.bin`)
  writeFileSync(file, payloadOf(row))
  const origin = `http://127.0.0.1:${server.port}`
  const r = await runCurl(curlArgs(row, file, origin, true))
  t.equal(r.error, undefined, 'with Expect: curl succeeded')
  t.equal(r.status, row.status, 'with Expect: the final status')
  t.equal(r.continued, row.continue, row.continue ? 'a 100 came first' : 'no 100')
  // curl waits only for 100-continue; other expectations go with the body at once.
  if (bodyKept(row) && expectation(row) === '100-continue') t.equal(r.uploaded, 0, 'curl uploaded no body byte')
  // curl counts the chunk framing as uploaded bytes.
  if (row.continue) t.ok(r.uploaded >= payloadOf(row).length, `curl uploaded its body (${r.uploaded} bytes)`)

  const plain = await runCurl(curlArgs(row, file, origin, false))
  t.equal(plain.error, undefined, 'without Expect: curl succeeded')
  t.equal(plain.status, without(row), 'without Expect: ' + (row.without === undefined ? 'the same status' : `${without(row)}, by design: ${row.without.why}`))
  t.notOk(plain.continued, 'without Expect: no 100')
}

t.test('the decision table, by curl', async (t) => {
  if (requireTool(t, 'curl') === undefined) return
  const server = await listen(t, routes)
  const dir = tempDir(t)
  for (const [index, row] of rows.entries()) {
    await t.test(row.name, { todo: row.todo ?? false, skip: row.rawOnly === true ? 'a head curl does not send' : false }, (t) => curlRow(t, server, dir, row, index))
  }
})
