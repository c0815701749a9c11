#!/usr/bin/env node
// Mutation pass over plugin/**: mutants are found by pattern in the TypeScript syntax tree (not keyed
// to lines, so a refactor does not break them), each type-checked (one that does not compile is
// left out of the score: it would "fail" for the wrong reason), then run against the tests that
// cover its file, found by the test folder mirroring the source folder (plugin/way-in/x.ts ->
// test/plugin/way-in/*.test.ts; plugin/x.ts -> test/plugin/*.test.ts). A mutant is killed when a
// test fails or the run exceeds its time budget (twice the folder's unmutated time, plus 20 s: a hang
// the mutant caused); it survives when all pass.
// Each mutant runs in a private copy of the tree (the work tree is never written).
//
//   npm run mutate                        the CI sample: SAMPLE mutants drawn with a fixed seed
//   npm run mutate -- --all               every mutant (long)
//   npm run mutate -- --sample=80 --seed=7 --jobs=2 --budget=20 --min-score=70 --deadline=420
//   npm run mutate -- --list              the mutants, without running them
//   npm run mutate -- --only=plugin/decision   only mutants of files under this path
//
// Operators: === <-> !==, == <-> !=, > <-> >=, < <-> <=, && <-> ||, ?? -> ||, true <-> false,
// !x -> x, a call statement dropped, a `return` of a value in a guard (if ... return) dropped.
'use strict'
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ts = require('typescript')

const root = path.join(__dirname, '..')
const DEFAULTS = { sample: 40, seed: 20261207, jobs: 2, budget: 20, minScore: 0, deadline: 0 }

function parseArgs (argv) {
  const opts = { ...DEFAULTS, all: false, list: false, only: 'plugin' }
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=')
    if (key === 'all') opts.all = true
    else if (key === 'list') opts.list = true
    else if (key === 'only') opts.only = value
    else if (key === 'min-score') opts.minScore = Number(value)
    else if (key in DEFAULTS) opts[key] = Number(value)
    else throw new Error(`mutate: unknown option ${arg}`)
    if (Number.isNaN(opts.minScore) || Object.keys(DEFAULTS).some((k) => Number.isNaN(opts[k]))) throw new Error(`mutate: not a number: ${arg}`)
  }
  return opts
}

// ---------------------------------------------------------------------------
// Finding mutants

const SWAP = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: '!==',
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: '===',
  [ts.SyntaxKind.EqualsEqualsToken]: '!=',
  [ts.SyntaxKind.ExclamationEqualsToken]: '==',
  [ts.SyntaxKind.GreaterThanToken]: '>=',
  [ts.SyntaxKind.GreaterThanEqualsToken]: '>',
  [ts.SyntaxKind.LessThanToken]: '<=',
  [ts.SyntaxKind.LessThanEqualsToken]: '<',
  [ts.SyntaxKind.AmpersandAmpersandToken]: '||',
  [ts.SyntaxKind.BarBarToken]: '&&',
  [ts.SyntaxKind.QuestionQuestionToken]: '||'
}

/** Every source file of the plugin, relative to the root. */
function sources (under) {
  return fs.readdirSync(path.join(root, 'plugin'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `plugin/${f}`)
    .filter((f) => f.startsWith(under))
    .sort()
}

/** Lines under a `c8 ignore` (defensive branches): mutants there are not counted. */
function ignoredLines (text) {
  const lines = text.split('\n')
  const ignored = new Set()
  let inside = false
  for (const [i, line] of lines.entries()) {
    if (/c8 ignore (start)/.test(line)) inside = true
    if (inside) ignored.add(i + 1)
    if (/c8 ignore (stop)/.test(line)) inside = false
    const next = /c8 ignore next(?: (\d+))?/.exec(line)
    if (next !== null) for (let k = 1; k <= Number(next[1] ?? 1); k++) ignored.add(i + 1 + k)
  }
  return ignored
}

/** The mutants of one file: { file, line, start, end, replacement, operator, original }. */
function mutantsOf (file) {
  const text = fs.readFileSync(path.join(root, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const ignored = ignoredLines(text)
  const found = []
  const add = (node, start, end, replacement, operator) => {
    const line = source.getLineAndCharacterOfPosition(start).line + 1
    if (ignored.has(line)) return
    found.push({ file, line, start, end, replacement, operator, original: text.slice(start, end) })
  }
  const visit = (node) => {
    // Types, imports and the like do not run: no mutants there.
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return
    if (ts.isBinaryExpression(node) && SWAP[node.operatorToken.kind] !== undefined) {
      const op = node.operatorToken
      add(node, op.getStart(source), op.getEnd(), SWAP[op.kind], `${op.getText(source)} -> ${SWAP[op.kind]}`)
    }
    if (node.kind === ts.SyntaxKind.TrueKeyword) add(node, node.getStart(source), node.getEnd(), 'false', 'true -> false')
    if (node.kind === ts.SyntaxKind.FalseKeyword) add(node, node.getStart(source), node.getEnd(), 'true', 'false -> true')
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      add(node, node.getStart(source), node.operand.getStart(source), '', '!x -> x')
    }
    if (ts.isExpressionStatement(node)) {
      const e = ts.isAwaitExpression(node.expression) ? node.expression.expression : node.expression
      if (ts.isCallExpression(e)) add(node, node.getStart(source), node.getEnd(), ';', 'call statement dropped')
    }
    if (ts.isIfStatement(node) && node.elseStatement === undefined) {
      const then = ts.isBlock(node.thenStatement) && node.thenStatement.statements.length === 1 ? node.thenStatement.statements[0] : node.thenStatement
      if (ts.isReturnStatement(then) || ts.isThrowStatement(then)) add(node, node.getStart(source), node.getEnd(), ';', 'guard dropped')
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return { text, found }
}

/** A small deterministic generator (mulberry32): the same seed draws the same sample. */
function random (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sample (all, size, seed) {
  const next = random(seed)
  const copy = [...all]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]]
  }
  // Kept in the drawn order: a run cut short by --deadline is still a random subsample.
  return copy.slice(0, size)
}

// ---------------------------------------------------------------------------
// Type-checking a mutant (the plugin's own program; only the mutated file is checked)

function checker () {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.build.json'), { noEmit: true, declaration: false }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  const host = ts.createCompilerHost(config.options)
  const overrides = new Map()
  // Unchanged files are parsed once and handed back as the same objects: the program is then rebuilt
  // around the one mutated file instead of re-reading the libraries' types each time.
  const parsed = new Map()
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (name, version, ...rest) => {
    const text = overrides.get(path.resolve(name))
    if (text !== undefined) return ts.createSourceFile(name, text, version)
    if (!parsed.has(name)) parsed.set(name, getSourceFile.call(host, name, version, ...rest))
    return parsed.get(name)
  }
  const base = ts.createProgram(config.fileNames, config.options, host)
  return (file, text) => {
    overrides.set(path.join(root, file), text)
    try {
      const program = ts.createProgram(config.fileNames, config.options, host, base)
      const sourceFile = program.getSourceFile(path.join(root, file))
      return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)]
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))
    } finally {
      overrides.delete(path.join(root, file))
    }
  }
}

// ---------------------------------------------------------------------------
// Running the tests that cover a file

/** The test folder that mirrors the file's folder. */
function testsFor (file) {
  const dir = path.join('test', path.dirname(file))
  const entries = fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)) : []
  // The file's own test first (expect-field.ts -> expect-field*.test.ts): with --bail, the likeliest killer ends the run soonest.
  const own = path.basename(file, '.ts')
  const rank = (f) => f.startsWith(own) ? 0 : 1
  return entries.filter((f) => f.endsWith('.test.ts')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((f) => path.join(dir, f))
}

/** A private copy of the tree (sources, tests, examples; node_modules linked). */
function workspace (index) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fastify-expect-mutant-${index}-`))
  for (const name of fs.readdirSync(root)) {
    if (['.git', '.tap', 'coverage', 'bench'].includes(name)) continue
    if (name === 'node_modules') fs.symlinkSync(path.join(root, name), path.join(dir, name))
    else fs.cpSync(path.join(root, name), path.join(dir, name), { recursive: true })
  }
  return dir
}

/** The test runs under way (each its own process group): ended with the pass, on a signal too. */
const running = new Set()
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const pid of running) try { process.kill(-pid, 'SIGKILL') } catch {}
    process.exit(130)
  })
}

function runTests (cwd, tests, budgetSeconds) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tap'), ['--disable-coverage', '--bail', '--jobs', '1', '--timeout', String(budgetSeconds), '--reporter', 'silent', ...tests],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, CI: process.env.CI ?? '' } })
    running.add(child.pid)
    child.stdout.resume()
    child.stderr.resume()
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid, 'SIGKILL') } catch {} }, budgetSeconds * 1000)
    child.on('close', (code) => {
      running.delete(child.pid)
      clearTimeout(timer)
      resolve({ passed: code === 0 && !timedOut, timedOut, seconds: (Date.now() - started) / 1000 })
    })
  })
}

// ---------------------------------------------------------------------------

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const files = sources(opts.only)
  const texts = new Map()
  const all = []
  for (const file of files) {
    const { text, found } = mutantsOf(file)
    texts.set(file, text)
    all.push(...found.filter(() => testsFor(file).length > 0))
  }
  const chosen = opts.all ? all : sample(all, opts.sample, opts.seed)
  console.log(`mutate: ${all.length} mutants found by pattern in ${files.length} files of ${opts.only}/; ${opts.all ? 'running all' : `a sample of ${chosen.length} (seed ${opts.seed})`}`)
  if (opts.list) {
    for (const m of chosen) console.log(`${m.file}:${m.line}  ${m.operator}  ${JSON.stringify(m.original.slice(0, 60))}`)
    return
  }

  const check = checker()
  const results = []
  const runnable = []
  for (const m of chosen) {
    const text = texts.get(m.file)
    const mutated = text.slice(0, m.start) + m.replacement + text.slice(m.end)
    const errors = check(m.file, mutated)
    if (errors.length > 0) results.push({ ...m, status: 'does not compile', detail: errors[0] })
    else runnable.push({ ...m, mutated })
  }

  const spaces = Array.from({ length: Math.max(1, opts.jobs) }, (_, i) => workspace(i))
  process.on('exit', () => { for (const dir of spaces) fs.rmSync(dir, { recursive: true, force: true }) })
  // Each folder's tests run once unmutated first, in parallel across the copies: a test failing there
  // would "kill" every mutant of its folder (the pass stops), and its time sets the folder's budget per
  // mutant: twice that, plus --budget seconds, so that only a mutant that hangs the tests (or makes them
  // far slower) is killed by the clock, however fast or loaded the machine is.
  const folderOf = (file) => [...testsFor(file)].sort().join(' ')
  const folders = [...new Set(runnable.map((m) => folderOf(m.file)))]
  const budgets = new Map()
  let nextFolder = 0
  await Promise.all(spaces.map(async (dir) => {
    while (nextFolder < folders.length) {
      const folder = folders[nextFolder++]
      const baseline = await runTests(dir, folder.split(' '), 600)
      if (!baseline.passed) throw new Error(`mutate: the tests fail unmutated (${folder}); fix them first`)
      budgets.set(folder, 2 * baseline.seconds + opts.budget)
      console.log(`  baseline ${baseline.seconds.toFixed(1)} s: ${folder}`)
    }
  }))

  // --deadline=S: no mutant starts after S seconds (CI's budget); the score is over those that ran.
  const deadline = opts.deadline > 0 ? started + opts.deadline * 1000 : Infinity
  let nextIndex = 0
  await Promise.all(spaces.map(async (dir) => {
    while (nextIndex < runnable.length && Date.now() < deadline) {
      const m = runnable[nextIndex++]
      const target = path.join(dir, m.file)
      fs.writeFileSync(target, m.mutated)
      try {
        const run = await runTests(dir, testsFor(m.file), budgets.get(folderOf(m.file)))
        const status = run.timedOut ? 'killed (time budget)' : run.passed ? 'SURVIVED' : 'killed'
        results.push({ ...m, status, detail: `${run.seconds.toFixed(1)} s` })
        console.log(`  ${status.padEnd(20)} ${m.file}:${m.line}  ${m.operator}  ${JSON.stringify(m.original.slice(0, 50))}  (${run.seconds.toFixed(1)} s)`)
      } finally {
        fs.writeFileSync(target, texts.get(m.file))
      }
    }
  }))

  const killed = results.filter((r) => r.status.startsWith('killed')).length
  const survived = results.filter((r) => r.status === 'SURVIVED')
  const invalid = results.filter((r) => r.status === 'does not compile').length
  const counted = killed + survived.length
  const score = counted === 0 ? 0 : (100 * killed) / counted
  const notRun = runnable.length - (results.length - invalid)
  if (notRun > 0) console.log(`\nmutate: ${notRun} mutants not run: the deadline of ${opts.deadline} s came first`)
  console.log(`\nmutate: ${killed} of ${counted} compiling mutants killed: score ${score.toFixed(1)}% (${invalid} did not compile and do not count; ${((Date.now() - started) / 1000).toFixed(0)} s)`)
  for (const s of survived) console.log(`  survived: ${s.file}:${s.line}  ${s.operator}  ${JSON.stringify(s.original.slice(0, 70))}`)
  if (score < opts.minScore) {
    console.error(`mutate: score ${score.toFixed(1)}% is below the floor of ${opts.minScore}%`)
    process.exitCode = 1
  }
}

if (require.main === module) main().catch((error) => { console.error(error); process.exitCode = 1 })
else module.exports = { mutantsOf, checker, sample, testsFor }
