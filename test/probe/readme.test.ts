// The README's probe section as a user meets it: every local `npx fastify-expect probe` command
// it prints is run (in this process, with the port of a live example app instead of 3000) and must
// give the outcome its comment documents: a 100 for one, refusals for the others. The section's
// statements about the head and the help text are checked against the code.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildUploadApp } from '../../examples/upload-app'
import { listenOnLoopback } from '../helpers/server'
import { runCli, trackConnections } from '../helpers/probe'
import { buildHead } from '../../probe/probe'
import { USAGE } from '../../probe/args'

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8')
const start = readme.indexOf('## Probe an endpoint: `npx fastify-expect probe`')
const section = readme.slice(start, readme.indexOf('\n## ', start + 1))

/** A command line split as sh would for what the README uses: words, 'single-quoted' words, a # comment. */
function shellWords (line: string): { words: string[], comment: string } {
  const words: string[] = []
  const pattern = /'([^']*)'|(#.*)$|(\S+)/g
  let comment = ''
  for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
    if (match[2] !== undefined) comment = match[2].slice(1).trim()
    else words.push(match[1] ?? match[3] as string)
  }
  return { words, comment }
}

const commands = section.split('\n').filter((line) => line.startsWith('npx fastify-expect probe http://127.0.0.1:3000/')).map(shellWords)

t.test('the README\'s local probe commands give the outcomes it documents, against the example app', async (t) => {
  t.ok(commands.length >= 2, `${commands.length} commands found`)
  t.ok(commands.some((c) => c.comment === '100'), 'one shows a 100')
  t.ok(commands.some((c) => /^4\d\d$/.test(c.comment)), 'one shows a refusal')
  const app = buildUploadApp()
  const connections = trackConnections(app.server)
  const port = await listenOnLoopback(t, app)
  for (const { words, comment } of commands) {
    t.equal(words.slice(0, 3).join(' '), 'npx fastify-expect probe')
    const argv = words.slice(2).map((word) => word.replace('http://127.0.0.1:3000/', `http://127.0.0.1:${port}/`))
    const label = words.slice(3).join(' ')
    const run = await runCli(argv)
    t.equal(run.code, 0, `${label}: exit 0`)
    t.equal(run.stderr, '')
    if (argv.includes('--json')) {
      const report = JSON.parse(run.stdout)
      t.equal(comment === '100' ? report.outcome : String(report.response?.status), comment === '100' ? 'continue' : comment, `${label}: ${comment}`)
      t.equal(report.bodyBytesSent, 0)
    } else if (comment === '100') {
      t.match(run.stdout, /\nResult: 100 Continue after [\d.]+ ms \(body not sent: 0 bytes\)\n/, `${label}: 100`)
    } else {
      t.match(run.stdout, new RegExp(`\\nResult: HTTP/1\\.1 ${comment} .* before the body \\(0 body bytes sent\\)\\n`), `${label}: ${comment}`)
    }
  }
  await connections.allClosed()
  t.equal(connections.count(), commands.length, 'one connection each, all closed')
})

t.test('the README and --help name the head\'s default fields', async (t) => {
  const head = buildHead({ url: new URL('http://h/'), method: 'PUT', size: 1, headers: [], timeoutMs: 1 })
  for (const [name, value] of head.headers) {
    if (name === 'Host' || name === 'Content-Length') continue
    t.ok(section.includes(`\`${name}: ${value}\``) || section.includes(`\`${name}\``), `README: ${name}`)
    t.ok(USAGE.includes(`${name}: ${value}`) || USAGE.includes(name), `--help: ${name}`)
  }
  t.match(section, /`Content-Type: application\/octet-stream`/)
  t.match(USAGE, /Content-Type: application\/octet-stream/)
  t.match(USAGE, /0\s+announces no body, so no 100 is expected/)
})
