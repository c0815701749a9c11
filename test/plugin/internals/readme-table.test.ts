// The README's table of internals is the internals modules' own lists: every
// internal the plugin reaches (plugin/internals/fastify.ts and node.ts) has its
// row, with what it is for and what happens without it, and no row is left
// over (the modules are the source; the README follows them).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FASTIFY_INTERNALS } from '../../../plugin/internals/fastify'
import { NODE_INTERNALS } from '../../../plugin/internals/node'

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8')

export function internalsRows (): string[] {
  return [...FASTIFY_INTERNALS, ...NODE_INTERNALS].map((i) => `| ${i.name} | ${i.what} | ${i.fallback} |`)
}

t.test('the README\'s table of internals lists exactly what the internals modules reach', async (t) => {
  const start = README.indexOf('**Internals relied on**')
  t.ok(start !== -1, 'the table is there')
  const lines = README.slice(start).split('\n')
  const header = lines.findIndex((line) => line.startsWith('| internal |'))
  const rows: string[] = []
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line)
  }
  t.same(rows, internalsRows(), 'one row per internal, in the modules\' order, as the modules say')
})

t.test('no file of the plugin outside plugin/internals/ reaches the internals by name', async (t) => {
  // The files themselves, not git's list: the mutation pass runs the tests in a copy without .git.
  const root = join(__dirname, '..', '..', '..')
  const files = readdirSync(join(root, 'plugin'), { recursive: true, encoding: 'utf8' })
    .map((f) => `plugin/${f}`).filter((f) => f.endsWith('.ts') && !f.startsWith('plugin/internals/'))
  const names = [/\._expect_continue\b/, /\._last\b/, /\._handle\b/, /\.parser\b\??\./, /(?<!nodeHttp)\.destroySoon\b/, /\._read\b/, /'\(empty tree\)'/, /Object\.getPrototypeOf\(fastify\)/, /getOwnPropertySymbols/]
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8').split('\n').filter((line) => !line.trim().startsWith('//') && !line.trim().startsWith('*'))
    for (const name of names) {
      const hit = text.find((line) => name.test(line))
      t.equal(hit, undefined, `${file}: ${name.source}`)
    }
  }
})
