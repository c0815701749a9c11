// JDK 17's java.net.http.HttpClient with expectContinue(true), a client known
// to behave badly: when the answer to the head is a final status instead of
// 100, the call does not return (JDK-8286171 and related), not even at its
// request timeout. Needs java (skipped without it on a laptop, a failure in CI). The tiny client
// (test/interop-java/ExpectClient.java) runs all uploads at once, each given
// WAIT_SECONDS, so this costs one JVM start and that wait.
import t from 'tap'
import { join } from 'node:path'
import { head, rawRequest } from '../helpers/raw-client'
import { bodySent, recordFacts, runProgram, startUploadApp, TOKEN, UPLOAD_CASES, type CaseFacts, type ClientFacts } from '../helpers/interop'
import { requireTool } from '../helpers/tools'

const WAIT_SECONDS = 4

interface JdkUpload { label: string, path: string, bytes: number, type: string, authorization: string, answered: number }

const uploads: JdkUpload[] = [
  ...UPLOAD_CASES.map((c) => ({
    label: c.label,
    path: c.path,
    bytes: c.bytes,
    type: c.headers['content-type'] as string,
    authorization: c.headers.authorization ?? '-',
    answered: c.answered
  })),
  // What a server can do for such clients: answer 100 first, then the error.
  { label: 'refused after a 100 (`config: { expect: false }`, invalid JSON)', path: '/jdk/json', bytes: 1024, type: 'application/json', authorization: '-', answered: 400 },
  { label: "refused by the handler after a 100 (`sendContinue: 'after-checks'`)", path: '/jdk/exists', bytes: 1024, type: 'application/octet-stream', authorization: '-', answered: 409 }
]

t.test('JDK HttpClient, expectContinue(true): waits; a final answer instead of 100 leaves the call hanging', async (t) => {
  const java = requireTool(t, 'java')
  if (java === undefined) return
  const server = await startUploadApp(t, {
    routes (app) {
      app.register(async (app) => {
        app.put('/jdk/json', { config: { expect: false }, schema: { body: { type: 'object' } } }, async () => ({ stored: true }))
        app.addContentTypeParser('application/octet-stream', (request, payload, done) => done(null))
        app.put('/jdk/exists', { config: { expect: { sendContinue: 'after-checks' } } }, async (request, reply) => reply.code(409).send({ error: 'exists' }))
      })
    }
  })
  const args = [String(WAIT_SECONDS), ...uploads.flatMap((u) => [u.label, `${server.origin}${u.path}`, String(u.bytes), u.type, u.authorization])]
  const { result: run, bodyBytes, requests } = await server.observe(() =>
    runProgram(java, [join(__dirname, 'java', 'ExpectClient.java'), ...args], { timeoutMs: 60_000 }))
  t.equal(run.code, 0, `java ran: ${run.stderr}`)
  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { java?: string, label?: string, status?: number, hung?: true, error?: string })
  const version = lines[0]?.java ?? 'unknown'
  const outcomes = new Map(lines.slice(1).map((line) => [line.label, line]))
  t.equal(requests.length, uploads.length, 'every upload reached the server')
  t.same(new Set(requests.map((r) => r.expect)), new Set(['100-Continue']), 'each with `Expect: 100-Continue` (its spelling)')

  const facts: CaseFacts[] = []
  const row1 = (): ClientFacts => ({
    id: '50-jdk-httpclient',
    client: `java.net.http.HttpClient (JDK ${version}), \`expectContinue(true)\``,
    protocol: 'HTTP/1.1',
    expectWhen: 'with `expectContinue(true)`',
    notes: '**Known bad.** Waits for the 100, but when the answer is a final status instead, the call never returns ' +
      `(JDK-8286171 and related; \`HttpRequest.timeout\` does not fire either; cut off here after ${WAIT_SECONDS} s). ` +
      'It does report an error that follows a 100. See [Troubleshooting](#troubleshooting).',
    cases: facts
  })
  let expectedBody = 0
  for (const u of uploads) {
    const outcome = outcomes.get(u.label)
    const reported = outcome?.status !== undefined ? String(outcome.status) : outcome?.hung === true ? 'no answer (hung)' : `error: ${outcome?.error ?? 'none'}`
    // Measured on the server: the body bytes this upload's connection carried (the JDK opens one per upload here).
    const seen = requests.filter((r) => r.url === new URL(`${server.origin}${u.path}`).pathname && r.contentLength === String(u.bytes) && r.status === u.answered)
    t.equal(seen.length, 1, `${u.label}: one request with its own connection`)
    const body = seen[0]?.body
    t.not(body, undefined, `${u.label}: its connection carried it alone`)
    const before = u.answered < 300 || u.path.startsWith('/jdk/')
    if (before) {
      // The 100 came first: the body was sent, and the client reports the final status.
      t.equal(outcome?.status, u.answered, `${u.label}: the JDK reports ${u.answered}`)
      t.equal(body, u.bytes, `${u.label}: the whole body crossed, after the 100`)
      expectedBody += u.bytes
    } else {
      // Refused before the body: the JDK hangs (or, should a fixed JDK run this, reports the status).
      t.ok(outcome?.hung === true || outcome?.status === u.answered, `${u.label}: ${reported}`)
      t.equal(body, 0, `${u.label}: no body byte crossed`)
    }
    // The JDK waits for the 100 (it sent no body on a refusal): a body that crossed followed a 100.
    const sent = body === undefined ? 'none' : bodySent(body, u.bytes)
    facts.push({ case: u.label, answered: u.answered, reported, expectSent: true, continueSeen: sent !== 'none', body: sent })
  }
  t.equal(bodyBytes, expectedBody, 'the server read the bodies of the uploads answered with 100 only: the refused ones sent none')
  recordFacts(t, row1())
})

// What a JDK 17 client needs on a route with an auth hook: the 100 before any hook, then the
// refusal (it hangs on a final status in place of the 100). The route is not known when the
// request arrives, so this is server-wide: `sendContinue: 'immediately'`, Node's own timing, with
// the rest of the plugin kept (417, rules, staged close). Runs without java (a raw client stands in).
t.test("sendContinue: 'immediately' answers 100 before the route's onRequest hooks, as Node does", async (t) => {
  const server = await startUploadApp(t, {
    expectOptions: { sendContinue: 'immediately' },
    routes (app) {
      app.register(async (app) => {
        app.addHook('onRequest', async (request, reply) => {
          if (request.headers.authorization !== TOKEN) return reply.code(401).send({ error: 'Unauthorized' })
        })
        app.put('/jdk/legacy', async () => ({ stored: true }))
      })
    }
  })
  const r = await rawRequest({
    port: server.port,
    head: head('PUT /jdk/legacy HTTP/1.1', { host: 'localhost', expect: '100-continue', 'content-type': 'application/json', 'content-length': 2 }),
    body: '{}'
  })
  t.equal(r.status, 401)
  t.same(r.informational, ['HTTP/1.1 100 Continue'], 'the 100 first, as Node sends it before any hook')
})
