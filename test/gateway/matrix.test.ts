// The generated smuggling matrix (issue 15): method x framing x Expect x gateway
// form, every case on its own client connection, all cases of a form through one
// gateway and one byte-logging upstream (keep-alive upstream connections, so a
// body that went up unframed would be read there as a request of its own).
// For every case, the same assertion: forwarded framings reach the upstream as
// exactly one request with exactly the client's body, its framing stated
// (Content-Length when the client gave one, chunked otherwise); refused framings
// get 400 and nothing goes up. The body of every case is itself a request
// (`GET /smuggled/<case> ...`), so a body read as a request shows up by name.
// The same inputs through plain @fastify/http-proxy are recorded beside it, not
// asserted: the comparison is printed (and summarised in the README).
import t, { type Test } from 'tap'
import { head } from '../helpers/raw-client'
import { byteLoggingUpstream, exchange, type ByteLog, type Exchange, type LoggedRequest } from '../helpers/gateway'
import { METHODS, startForm, type FormName } from './forms'

const FRAMINGS = ['content-length', 'chunked', 'none', 'both', 'repeated-length', 'connection-named'] as const
type FramingCase = typeof FRAMINGS[number]
const FORWARDED: ReadonlySet<FramingCase> = new Set(['content-length', 'chunked', 'none'])

interface Case { id: string, method: string, framing: FramingCase, expect: boolean }

const cases: Case[] = []
for (const method of METHODS) {
  for (const framing of FRAMINGS) {
    for (const expect of [false, true]) cases.push({ id: `${method}-${framing}-${expect ? 'expect' : 'plain'}`.toLowerCase(), method, framing, expect })
  }
}

const smuggled = (c: Case): string => `GET /smuggled/${c.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\n\r\n`
const chunked = (body: string): string => `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`

/** The client's head and the bytes after it. */
function request (c: Case, path: string): { head: string, payload: string, body: string } {
  const body = c.framing === 'none' ? '' : smuggled(c)
  const fields: Record<string, string | string[]> = { host: 'gateway.test', 'content-type': 'application/octet-stream' }
  let payload = body
  switch (c.framing) {
    case 'content-length': fields['content-length'] = String(body.length); break
    case 'chunked': fields['transfer-encoding'] = 'chunked'; payload = chunked(body); break
    case 'none': break
    case 'both': payload = chunked(body); fields['content-length'] = String(payload.length); fields['transfer-encoding'] = 'chunked'; break
    case 'repeated-length': fields['content-length'] = [String(body.length), String(body.length)]; break
    case 'connection-named': fields.connection = 'keep-alive, content-length'; fields['content-length'] = String(body.length); break
  }
  if (c.expect) fields.expect = '100-continue'
  return { head: head(`${c.method} ${path} HTTP/1.1`, fields), payload, body }
}

interface Outcome { status: number | undefined, upstream: LoggedRequest[] }

async function runAll (t: Test, form: FormName): Promise<{ upstream: ByteLog, outcomes: Map<string, Outcome>, exchanges: Map<string, Exchange> }> {
  const upstream = await byteLoggingUpstream(t)
  const gateway = await startForm(t, form, upstream.origin)
  const started = Date.now()
  const exchanges = new Map<string, Exchange>()
  for (const c of cases) {
    const r = request(c, gateway.path(c.id))
    exchanges.set(c.id, await exchange(gateway.port, r.head, r.payload, { waitForContinue: c.expect, head: c.method === 'HEAD' }))
  }
  t.comment(`${form}: ${cases.length} exchanges in ${Date.now() - started} ms`)
  // Every byte the gateway sent is in once its upstream connections have closed.
  await gateway.close()
  await upstream.allClosed()
  const outcomes = new Map<string, Outcome>()
  for (const c of cases) {
    outcomes.set(c.id, { status: exchanges.get(c.id)?.status, upstream: upstream.requests.filter((logged) => logged.target.endsWith(`/${c.id}`)) })
  }
  return { upstream, outcomes, exchanges }
}

/** What the upstream must have read for a forwarded case: one request, the exact body, the framing stated. */
function expected (c: Case): object {
  if (!FORWARDED.has(c.framing)) return { status: 400, upstream: [] }
  const body = c.framing === 'none' ? '' : smuggled(c)
  return {
    status: 200,
    upstream: [{
      method: c.method,
      target: `/upload/${c.id}`,
      body,
      framing: c.framing === 'content-length' ? 'length' : c.framing === 'chunked' ? 'chunked' : 'none or empty length',
      expect: c.expect && body !== '' ? '100-continue' : undefined
    }]
  }
}

function observed (outcome: Outcome): object {
  return {
    status: outcome.status,
    upstream: outcome.upstream.map((logged) => ({
      method: logged.method,
      target: logged.target,
      body: logged.body.toString('latin1'),
      framing: logged.framing === 'none' || (logged.framing === 'length' && logged.body.length === 0) ? 'none or empty length' : logged.framing,
      expect: logged.fields.expect
    }))
  }
}

/** A short name for what plain @fastify/http-proxy did with a case. */
function classify (c: Case, outcome: Outcome, extra: LoggedRequest[]): string {
  const smuggledUp = extra.some((logged) => logged.target === `/smuggled/${c.id}`)
  if (smuggledUp) return 'body run as a second request'
  if (outcome.upstream.length === 0) return `${String(outcome.status)}, nothing forwarded`
  const [first] = outcome.upstream
  const body = c.framing === 'none' ? '' : smuggled(c)
  if (outcome.upstream.length > 1) return `${String(outcome.status)}, forwarded ${outcome.upstream.length} times`
  if (first !== undefined && first.body.toString('latin1') !== body) {
    return `${String(outcome.status)}, forwarded with ${first.body.length === 0 ? 'the body dropped' : `another body (${JSON.stringify(first.body.toString('latin1').slice(0, 20))}...)`}`
  }
  if (!FORWARDED.has(c.framing)) return `${String(outcome.status)}, forwarded although the framing is refused here`
  if (first !== undefined && c.framing === 'content-length' && first.framing !== 'length') return `${String(outcome.status)}, forwarded ${first.framing} instead of with its length`
  return `${String(outcome.status)}, forwarded exactly`
}

const results = new Map<FormName, Map<string, Outcome>>()

for (const form of ['proxy', 'route', 'node'] as const) {
  t.test(`${form === 'proxy' ? '@fastify/http-proxy + expectContinueHandler' : form === 'route' ? 'a route calling forwardExpectation' : 'examples/gateway.js (node:http)'}: ${cases.length} cases`, async (t) => {
    const { upstream, outcomes } = await runAll(t, form)
    results.set(form, outcomes)
    let failures = 0
    for (const c of cases) {
      const ok = t.same(observed(outcomes.get(c.id) as Outcome), expected(c), c.id)
      if (!ok) failures++
    }
    const forwarded = cases.filter((c) => FORWARDED.has(c.framing)).length
    t.equal(upstream.requests.length, forwarded, 'one upstream request per forwarded case, none else')
    t.same(upstream.requests.filter((logged) => !logged.target.startsWith('/upload/')), [], 'no request the gateway did not send (no /smuggled/...)')
    t.same(upstream.leftovers.filter((bytes) => bytes.length > 0).map((bytes) => bytes.toString('latin1')), [], 'no byte left over on any upstream connection')
    t.comment(`${form}: ${cases.length} cases, ${failures} failures, ${upstream.bytes.length} upstream connections`)
  })
}

t.test(`plain @fastify/http-proxy, the same ${cases.length} inputs (recorded, not asserted)`, async (t) => {
  const { upstream, outcomes } = await runAll(t, 'plain')
  const extra = upstream.requests.filter((logged) => !logged.target.startsWith('/upload/'))
  const tally = new Map<string, string[]>()
  for (const c of cases) {
    const outcome = outcomes.get(c.id) as Outcome
    const name = classify(c, outcome, extra)
    tally.set(name, [...(tally.get(name) ?? []), c.id])
  }
  t.equal(outcomes.size, cases.length, 'an outcome for every case')
  for (const [name, ids] of [...tally].sort((a, b) => b[1].length - a[1].length)) {
    t.comment(`plain http-proxy: ${ids.length} x ${name}: ${ids.join(' ')}`)
  }
  const helper = results.get('proxy')
  if (helper !== undefined) {
    const stricter = cases.filter((c) => {
      const plain = outcomes.get(c.id) as Outcome
      const ours = helper.get(c.id) as Outcome
      return plain.status !== ours.status || plain.upstream.length !== ours.upstream.length
    })
    t.comment(`differs from expectContinueHandler in ${stricter.length} of ${cases.length} cases: ${stricter.map((c) => `${c.id}=${String(outcomes.get(c.id)?.status)}/${String(helper.get(c.id)?.status)}`).join(' ')}`)
  }
})
