#!/usr/bin/env node
// Mutation pass: each mutant changes one line of plugin/ (a documented behaviour
// broken on purpose), then the build and the test files that own the behaviour
// run; a mutant is killed when the build or one of them fails. The plugin file
// is restored after every mutant, on failure and on Ctrl-C too (a copy is kept
// in the temporary directory until then, and restored by the next run if
// this one was killed outright).
//
//   npm run mutate                 every mutant
//   npm run mutate -- C1 R4        only these
//   npm run mutate -- --no-build   skip the per-mutant build (tests read plugin/ directly)
//   npm run mutate -- --shard=2/3    every third mutant, from the second (runs in copies of the tree)
//   npm run mutate -- --no-baseline  skip running the test files once unmutated
'use strict'
const { spawn } = require('node:child_process')
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const mutants = require('./mutants')

const root = path.join(__dirname, '..')
const cacheDir = path.join(os.tmpdir(), `fastify-expect-mutate-${createHash('sha1').update(root).digest('hex').slice(0, 8)}`)
const backupOf = (file) => path.join(cacheDir, file.replace(/\//g, '__'))

const args = process.argv.slice(2)
const build = !args.includes('--no-build')
const only = args.filter((a) => !a.startsWith('--'))
const shard = (args.find((a) => a.startsWith('--shard=')) ?? '--shard=1/1').slice(8).split('/').map(Number)
const selected = (only.length === 0 ? mutants : mutants.filter((m) => only.includes(m.id)))
  .filter((m, index) => index % shard[1] === shard[0] - 1)

let child
let current // { file, original }

function restore () {
  if (current === undefined) return
  fs.writeFileSync(path.join(root, current.file), current.original)
  fs.rmSync(backupOf(current.file), { force: true })
  current = undefined
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stop()
    restore()
    console.error(`\nmutate: ${signal}: plugin/ restored`)
    process.exit(130)
  })
}
process.on('exit', restore)

// A previous run killed outright left its copy behind: put it back first.
fs.mkdirSync(cacheDir, { recursive: true })
for (const name of fs.readdirSync(cacheDir)) {
  const file = name.replace(/__/g, '/')
  fs.copyFileSync(path.join(cacheDir, name), path.join(root, file))
  fs.rmSync(path.join(cacheDir, name))
  console.error(`mutate: restored ${file} from an interrupted run`)
}

/** Ends the running command with its children (tap runs each test file in its own process). */
function stop () {
  if (child === undefined) return
  try { process.kill(-child.pid, 'SIGTERM') } catch {}
}

function run (command, commandArgs, timeoutMs) {
  return new Promise((resolve) => {
    const output = []
    child = spawn(command, commandArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    child.stdout.on('data', (d) => output.push(d))
    child.stderr.on('data', (d) => output.push(d))
    const timer = setTimeout(stop, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      child = undefined
      resolve({ ok: code === 0, timedOut: signal !== null, output: Buffer.concat(output).toString() })
    })
  })
}

/** The mutant's text (one line, or a few), found exactly once, replaced. */
function mutate (source, mutant) {
  const at = source.indexOf(mutant.find)
  if (at === -1 || source.indexOf(mutant.find, at + 1) !== -1) throw new Error(`${mutant.id}: ${JSON.stringify(mutant.find)} must occur exactly once in ${mutant.file}`)
  if (mutant.find === mutant.replace) throw new Error(`${mutant.id}: the replacement changes nothing`)
  const text = source.slice(0, at) + mutant.replace + source.slice(at + mutant.find.length)
  return { text, line: source.slice(0, at).split('\n').length }
}

async function runMutant (mutant) {
  const file = path.join(root, mutant.file)
  const original = fs.readFileSync(file, 'utf8')
  const { text, line } = mutate(original, mutant)
  const where = `${mutant.file}:${line}`
  fs.writeFileSync(backupOf(mutant.file), original)
  current = { file: mutant.file, original }
  try {
    fs.writeFileSync(file, text)
    if (build) {
      const b = await run('npm', ['run', 'build'], 120_000)
      if (!b.ok) return { where, killedBy: 'tsc (does not compile)' }
    }
    for (const test of mutant.tests) {
      const r = await run('npx', ['tap', '--disable-coverage', '-R', 'silent', `test/${test}`], 300_000)
      if (!r.ok) return { where, killedBy: test + (r.timedOut ? ' (timeout)' : '') }
    }
    return { where, killedBy: undefined }
  } finally {
    restore()
  }
}

async function main () {
  const started = Date.now()
  // Unmutated first: a test file that fails as it is would kill every mutant.
  if (build && !(await run('npm', ['run', 'build'], 120_000)).ok) throw new Error('the unmutated build fails')
  if (!args.includes('--no-baseline')) {
    for (const test of [...new Set(selected.flatMap((m) => m.tests))]) {
      const r = await run('npx', ['tap', '--disable-coverage', '-R', 'silent', `test/${test}`], 300_000)
      if (!r.ok) throw new Error(`test/${test} fails without any mutant:\n${r.output.slice(-3000)}`)
      console.error(`baseline ok: ${test}`)
    }
  }
  const rows = []
  for (const mutant of selected) {
    const t0 = Date.now()
    const result = await runMutant(mutant)
    const seconds = Math.round((Date.now() - t0) / 1000)
    rows.push({ mutant, ...result })
    console.error(`${mutant.id.padEnd(4)} ${(result.killedBy === undefined ? 'SURVIVED' : `killed by ${result.killedBy}`).padEnd(48)} ${seconds}s  ${mutant.what}`)
  }
  if (build) await run('npm', ['run', 'build'], 120_000) // dist/ as the source says
  const killed = rows.filter((r) => r.killedBy !== undefined).length
  const equivalent = rows.filter((r) => r.killedBy === undefined && r.mutant.equivalent !== undefined).length
  const cell = (s) => String(s).replace(/\|/g, '\\|')
  console.log('| id | mutant | file:line | killed by | note |')
  console.log('|---|---|---|---|---|')
  for (const r of rows) {
    const verdict = r.killedBy ?? (r.mutant.equivalent !== undefined ? 'equivalent' : '**SURVIVED**')
    console.log(`| ${r.mutant.id} | ${cell(r.mutant.what)} | ${r.where} | ${cell(verdict)} | ${cell(r.mutant.equivalent ?? '')} |`)
  }
  const scored = rows.length - equivalent
  console.log(`\nScore: ${killed}/${scored} killed (${scored === 0 ? 100 : Math.round((killed / scored) * 100)}%)` +
    `${equivalent > 0 ? `, ${equivalent} equivalent mutant(s) left out` : ''}; ${rows.length} mutants in ${Math.round((Date.now() - started) / 1000)} s`)
  if (killed + equivalent < rows.length) process.exitCode = 1
}

main().catch((error) => {
  restore()
  console.error(error)
  process.exitCode = 2
})
