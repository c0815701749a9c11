// @ts-check
// The decision table: one row per situation a request with a body can meet,
// and what the client gets with `Expect: 100-continue` and without it. The rows
// are data, run over real sockets by test/decision-table.test.ts (against the
// routes built there) and printed as the README's table by
// `node test/decision-table.js`.
'use strict'

const MiB = 1024 * 1024
const json = JSON.stringify({ name: 'cat.png', tags: ['pet', 'photo'] })
const overLimit = JSON.stringify({ data: 'x'.repeat(2000) }) // over the routes' 1000-byte bodyLimit

/**
 * @typedef {object} Request
 * @property {string} [method] POST unless given
 * @property {string} path
 * @property {string} [type] Content-Type, none if absent
 * @property {string | Buffer} body
 * @property {boolean} [chunked] sent with Transfer-Encoding: chunked instead of Content-Length
 * @property {Record<string, string>} [headers] more request headers
 * @property {string} [expect] the Expect value of the "with" column, `100-continue` unless given
 * @property {'1.0' | '1.1'} [version] HTTP version, 1.1 unless given
 *
 * @typedef {object} Row
 * @property {string} name the situation
 * @property {Request} request
 * @property {number} status the final status, with Expect (and without, unless `without` says otherwise)
 * @property {boolean} continue with Expect, a 100 Continue comes first
 * @property {boolean} [clientWaits] with Expect, the client waits for a 100 before its body (false for HTTP/1.0: no 100 can come)
 * @property {{ status: number, why: string }} [without] the answer without Expect, where it differs by design
 * @property {boolean} [keepsConnection] with Expect, the connection stays usable after the answer
 * @property {string} who who gives the final answer
 * @property {string} decision with Expect, what `expectationOf()` (and the decision channel) says: verdict (reason)
 * @property {string} [note] why the "with Expect" column is what it is, when not obvious
 * @property {string} [todo] a known plugin bug: the row states the right answer and runs as a tap todo
 * @property {boolean} [rawOnly] a head curl cannot send (it frames the body itself): raw client only
 */

/** @type {readonly Row[]} */
const rows = [
  {
    name: 'accepted JSON upload',
    request: { path: '/items', type: 'application/json', body: json },
    status: 200,
    continue: true,
    who: 'the route handler; the 100 goes out when the JSON parser first reads the body',
    decision: 'continued'
  },
  {
    name: 'auth hook refuses (onRequest)',
    request: { path: '/private/items', type: 'application/json', body: json },
    status: 401,
    continue: false,
    who: 'the app\'s onRequest hook',
    decision: 'refused (hook)'
  },
  {
    name: 'rate limit (onRequest hook, as @fastify/rate-limit)',
    request: { path: '/limited/items', type: 'application/json', body: json },
    status: 429,
    continue: false,
    who: 'the app\'s onRequest hook',
    decision: 'refused (hook)'
  },
  {
    name: 'load shedding (onRequest hook, as @fastify/under-pressure)',
    request: { path: '/busy/items', type: 'application/json', body: json },
    status: 503,
    continue: false,
    who: 'the app\'s onRequest hook',
    decision: 'refused (hook)'
  },
  {
    name: 'no parser for the Content-Type',
    request: { path: '/items', type: 'application/x-unknown', body: 'abc' },
    status: 415,
    continue: false,
    who: 'Fastify (no content-type parser)',
    decision: 'refused (media-type)'
  },
  {
    name: 'no parser for the Content-Type, `sendContinue: \'after-checks\'`',
    request: { path: '/after-checks', type: 'application/x-unknown', body: 'abc' },
    status: 415,
    continue: false,
    who: 'Fastify (no content-type parser): the 100 waits for it, not for the route\'s checks alone',
    decision: 'refused (media-type)'
  },
  {
    name: 'Content-Length over the server\'s `bodyLimit`, `sendContinue: \'after-checks\'`',
    request: { path: '/after-checks', type: 'application/json', body: 'x'.repeat(2000), headers: { 'content-length': '892534441483' } },
    status: 413,
    continue: false,
    rawOnly: true,
    who: 'fastify-expect, from the body model (the limit Fastify applies to that parser)',
    decision: 'refused (body-limit)'
  },
  {
    name: 'type outside `config.expect.contentTypes`',
    request: { path: '/images', type: 'application/json', body: json },
    status: 415,
    continue: false,
    who: 'fastify-expect (route rule)',
    decision: 'refused (media-type)'
  },
  {
    name: '`schema.body.content` lists only JSON, text/plain sent',
    request: { path: '/json-only', type: 'text/plain', body: 'hello' },
    status: 415,
    continue: false,
    who: 'fastify-expect (route rule)',
    decision: 'refused (media-type)'
  },
  {
    name: 'Content-Length over the route `bodyLimit`, buffered parser',
    request: { path: '/small', type: 'application/json', body: overLimit },
    status: 413,
    continue: false,
    who: 'Fastify (its limit by Content-Length)',
    decision: 'refused (body-limit)'
  },
  {
    name: 'Content-Length over the route `bodyLimit`, streaming parser',
    request: { method: 'PUT', path: '/stream', type: 'application/octet-stream', body: Buffer.alloc(2000, 7) },
    status: 413,
    continue: false,
    who: 'fastify-expect (route rule)',
    decision: 'refused (body-limit)'
  },
  {
    name: 'chunked body over the route `bodyLimit`, streaming parser',
    request: { method: 'PUT', path: '/stream', type: 'application/octet-stream', body: Buffer.alloc(2000, 7), chunked: true },
    status: 413,
    continue: true,
    note: 'the size is unknown until the body streams',
    who: 'fastify-expect, while the body streams',
    decision: 'continued'
  },
  {
    name: 'Content-Length over a streaming parser\'s own `bodyLimit` (`addContentTypeParser(type, { bodyLimit })`)',
    request: { method: 'PUT', path: '/small-parser', type: 'application/x-small', body: Buffer.alloc(2000, 7) },
    status: 413,
    continue: false,
    note: 'Fastify itself ignores a streaming parser\'s limit',
    who: 'fastify-expect, from the body model',
    decision: 'refused (body-limit)'
  },
  {
    name: 'chunked body over the route `bodyLimit`, read by the handler from `request.raw`',
    request: { method: 'PUT', path: '/raw', type: 'application/x-raw', body: Buffer.alloc(3000, 7), chunked: true },
    status: 413,
    continue: true,
    note: 'the size is unknown until the body streams; whoever reads it',
    who: 'fastify-expect, while the body streams',
    decision: 'continued'
  },
  {
    name: 'header schema fails',
    request: { path: '/tenant', type: 'application/json', body: json },
    status: 400,
    continue: false,
    who: 'fastify-expect with the route\'s header validator (Fastify, after the body, without Expect)',
    decision: 'refused (headers)'
  },
  {
    name: '`config.expect.check` throws a 403',
    request: { path: '/checked', type: 'application/json', body: json },
    status: 403,
    continue: false,
    who: 'fastify-expect (the route\'s check)',
    decision: 'refused (check)'
  },
  {
    name: 'unknown route, JSON body over the server\'s bodyLimit (2 MiB)',
    request: { path: '/nowhere', type: 'application/json', body: JSON.stringify({ data: 'x'.repeat(2 * MiB) }) },
    status: 404,
    continue: false,
    who: 'the not-found handler, before the body is parsed (fastify-expect)',
    decision: 'refused (not-found)'
  },
  {
    name: 'unknown route, body that is not valid JSON',
    request: { path: '/nowhere', type: 'application/json', body: '{not json' },
    status: 404,
    continue: false,
    who: 'the not-found handler, before the body is parsed (fastify-expect)',
    decision: 'refused (not-found)'
  },
  {
    name: 'invalid `Content-Length`',
    request: { path: '/items', type: 'application/json', body: json, headers: { 'content-length': '12abc' } },
    status: 400,
    continue: false,
    rawOnly: true,
    who: 'Node\'s HTTP/1 parser (the plugin, `FST_ERR_EXPECT_INVALID_FRAMING`, for HTTP/2 and lenient parsers)',
    decision: 'not seen'
  },
  {
    name: 'both `Content-Length` and `Transfer-Encoding`',
    request: { path: '/items', type: 'application/json', body: json, chunked: true, headers: { 'content-length': String(json.length) } },
    status: 400,
    continue: false,
    rawOnly: true,
    who: 'Node\'s HTTP/1 parser (the plugin, `FST_ERR_EXPECT_INVALID_FRAMING`, for HTTP/2 and lenient parsers)',
    decision: 'not seen'
  },
  {
    name: 'unknown expectation (`Expect: foo`)',
    request: { path: '/items', type: 'application/json', body: json, expect: 'foo' },
    status: 417,
    continue: false,
    without: { status: 200, why: 'without the field there is no expectation to fail' },
    who: 'fastify-expect, at the server event, before routing',
    decision: 'expectation-failed (expectation)'
  },
  {
    name: 'HTTP/1.0 with Expect',
    request: { path: '/items', type: 'application/json', body: json, version: '1.0' },
    status: 200,
    continue: false,
    clientWaits: false,
    note: 'the expectation is ignored, RFC 9110 §10.1.1',
    who: 'the route handler',
    decision: 'ignored (http/1.0)'
  },
  {
    name: 'Expect with `Content-Length: 0`',
    request: { path: '/items', body: '' },
    status: 200,
    continue: false,
    keepsConnection: true,
    note: 'no body to ask for; the connection stays open',
    who: 'the route handler',
    decision: 'ignored (no-body)'
  },
  {
    name: 'GET with a body and Expect',
    request: { method: 'GET', path: '/items', type: 'application/json', body: json },
    status: 200,
    continue: false,
    note: 'Fastify never reads a GET body, so it is never asked for',
    who: 'the route handler',
    decision: 'ignored (answered-without-body)'
  }
]

/** @param {Row} row */
function withExpect (row) {
  const status = row.continue ? `100, then ${row.status}` : String(row.status)
  const before = !row.continue && row.clientWaits !== false && row.status >= 400 ? ', before the body' : ''
  return `${status}${before}${row.note === undefined ? '' : ` (${row.note})`}`
}

/** @param {Row} row */
function withoutExpect (row) {
  return row.without === undefined ? String(row.status) : `${row.without.status} (by design: ${row.without.why})`
}

/** @param {readonly Row[]} table */
function renderTable (table = rows) {
  const cell = (/** @type {string} */ text) => text.replace(/\|/g, '\\|')
  return [
    '| Situation | With `Expect: 100-continue` | Without `Expect` | Who answers | `expectationOf()` with Expect |',
    '| --- | --- | --- | --- | --- |',
    ...table.map((row) => `| ${[row.name, withExpect(row), withoutExpect(row), row.who, `\`${row.decision}\``].map(cell).join(' | ')} |`)
  ].join('\n')
}

module.exports = { rows, renderTable, withTable }

const START = '<!-- decision-table:start -->'
const END = '<!-- decision-table:end -->'

/**
 * The README with its decision table replaced by the rows' (between the markers).
 * @param {string} readme
 */
function withTable (readme) {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end === -1) throw new Error('README: decision-table markers not found')
  return `${readme.slice(0, start + START.length)}\n${renderTable()}\n${readme.slice(end)}`
}

// `node test/plugin/decision/decision-table.js` prints the table; `--write` writes it into the README.
if (require.main === module) {
  if (process.argv.includes('--write')) {
    const fs = require('node:fs')
    const file = require('node:path').join(__dirname, '..', '..', '..', 'README.md')
    fs.writeFileSync(file, withTable(fs.readFileSync(file, 'utf8')))
  } else {
    process.stdout.write(renderTable() + '\n')
  }
}
