// `npm test` runs one process per test folder, not per test file: each folder's `<folder>.suite.ts`
// (the files .taprc includes) requires the folder's test files, one after the other, in one
// process. tap starts a test process in about a second of CPU (its loaders, its own modules, the
// coverage session), and fastify, the plugin and the helpers then load once per folder instead of
// once per file. Each file still runs alone too
// (`npx tap test/plugin/connection/linger.test.ts`), and its top-level tests run in the order
// they would alone, none beside another (tap runs a process's top-level tests one at a time).
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'

const SUITE = /\.suite\.ts$/

/**
 * Runs the `*.test.ts` files of `dir` (not of its subfolders: each has its own suite), in name
 * order, but those in `except` (each with its reason in the suite that names it).
 */
export function runFolder (dir: string, except: string[] = []): void {
  const names = readdirSync(dir)
  for (const name of except) {
    if (!names.includes(name)) throw new Error(`${relative(process.cwd(), dir)}: ${name}, left out of the suite, does not exist`)
  }
  for (const name of names.filter((n) => n.endsWith('.test.ts') && !except.includes(n)).sort()) {
    require(join(dir, name))
  }
  t.test('every test folder below has its own suite', async (t) => {
    t.same(foldersWithoutSuite(dir).map((d) => relative(dir, d)), [], 'a folder with test files and no *.suite.ts would not run in npm test')
  })
}

/** The folders under `dir` (not `dir` itself) with test files but no suite file. */
function foldersWithoutSuite (dir: string): string[] {
  const missing: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const sub = join(dir, entry.name)
    const names = readdirSync(sub)
    if (names.some((n) => n.endsWith('.test.ts')) && !names.some((n) => SUITE.test(n))) missing.push(sub)
    missing.push(...foldersWithoutSuite(sub))
  }
  return missing
}
