// `npm test` runs a few processes, not one per test file: each `<folder>.suite.ts` (the files
// .taprc includes) requires the test files of its folder and of the folders below it that have no
// suite of their own, one file after the other, in one process. tap starts a test process in
// about a second of CPU (its loaders, its own modules, the coverage session), and Fastify, the
// plugin and the helpers then load once per process instead of once per file. A folder gets its
// own suite (its own process, beside the others) when its tests take long, most of it waiting on
// sockets and timers. Each file still runs alone too (`npx tap test/plugin/connection/linger.test.ts`),
// and its top-level tests run in the order they would alone, none beside another (tap runs a
// process's top-level tests one at a time).
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'

const hasSuite = (names: string[]): boolean => names.some((n) => n.endsWith('.suite.ts'))

/**
 * Runs the `*.test.ts` files of `dir` and of its subfolders without a suite, in name order,
 * but those in `except` (names relative to `dir`, each with its reason in the suite that names it).
 */
export function runFolder (dir: string, except: string[] = []): void {
  const files = testFiles(dir)
  for (const name of except) {
    if (!files.includes(join(dir, name))) throw new Error(`${name}, left out of ${relative(process.cwd(), dir)}'s suite, is not one of its test files`)
  }
  for (const file of files) {
    if (!except.some((name) => join(dir, name) === file)) require(file)
  }
}

/** The test files of `dir` and of its subfolders that have no suite of their own. */
function testFiles (dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.test.ts')).map((e) => join(dir, e.name))
  for (const sub of entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name))) {
    if (!hasSuite(readdirSync(sub))) files.push(...testFiles(sub))
  }
  return files
}
