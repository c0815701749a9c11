// @ts-check
// Runs the tap suite (less what does not depend on the Node or Fastify version) with a given
// Node binary, in a given copy of the project, and says whether it passed.
'use strict'
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..', '..')

/**
 * Left out of the matrices, run once by CI (`npm run test:proxies`, `npm run test:package`,
 * `npm run test:runtimes`): the proxy suite tests the proxies (and takes minutes), the package test
 * packs and installs the package with npm, the runtime suite runs Bun and Deno (not Node versions).
 */
const LEFT_OUT = [/^proxies\//, /^package\//, /^runtimes\//]

/** @param {string} root @returns {string[]} the test files the matrices run, relative to root */
function matrixFiles (root = ROOT) {
  return fs.readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts') && !LEFT_OUT.some((re) => re.test(name)))
    .sort()
    .map((name) => `test/${name}`)
}

/**
 * @typedef {object} SuiteRun
 * @property {string} label
 * @property {boolean} ok
 * @property {number} seconds
 * @property {string} [error]
 */

/**
 * tap, run by that Node (its directory first on the PATH, so that tests which start `node` get it too).
 * @param {{ label: string, node: string, cwd?: string, files?: string[], env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<SuiteRun>}
 */
function runSuite (options) {
  const { label, node, cwd = ROOT, env = {} } = options
  const files = options.files ?? matrixFiles(cwd)
  const tap = path.join(cwd, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
  const started = Date.now()
  // The full TAP output goes to a log file; the console gets each file's result and the failures.
  const log = path.join(os.tmpdir(), `fastify-expect-matrix-${label.replace(/[^\w.-]+/g, '_')}.tap`)
  console.log(`\n=== ${label}: tap with ${node} (${files.length} files; full output in ${log})`)
  return new Promise((resolve) => {
    const out = fs.openSync(log, 'w')
    const child = spawn(node, [tap, '--disable-coverage', '--reporter=tap', ...files], {
      cwd,
      // The fuzz test's generated exchanges: fewer than `npm test` runs, to keep the matrices short.
      env: { FUZZ_RUNS: '1000', ...process.env, ...env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', out, out]
    })
    child.on('error', (err) => resolve({ label, ok: false, seconds: (Date.now() - started) / 1000, error: err.message }))
    child.on('close', (code, signal) => {
      fs.closeSync(out)
      const seconds = Math.round((Date.now() - started) / 1000)
      printOutcome(fs.readFileSync(log, 'utf8'))
      resolve({ label, ok: code === 0, seconds, ...(code === 0 ? {} : { error: `tap exited with ${code ?? signal}` }) })
    })
  })
}

/**
 * Each test file's line, and every failed assertion with its diagnostics (the indented YAML after it).
 * @param {string} tap
 */
function printOutcome (tap) {
  const lines = tap.split('\n')
  lines.forEach((line, i) => {
    if (/^(not )?ok \d+ - /.test(line)) console.log(`  ${line}`)
    else if (/^\s+not ok /.test(line)) {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0
      const diag = []
      for (let j = i + 1; j < lines.length && j < i + 40 && /^\s+(---|\.\.\.|[\w"'-])/.test(lines[j]) && (/^\s*/.exec(lines[j])?.[0].length ?? 0) > indent; j++) diag.push(lines[j])
      console.log(`  ${line.trim()}\n${diag.join('\n')}`)
    }
  })
}

/** @param {string} title @param {SuiteRun[]} runs @returns {boolean} all passed */
function summarize (title, runs) {
  console.log(`\n${title}`)
  for (const r of runs) console.log(`  ${r.ok ? 'pass' : 'FAIL'}  ${r.label}  (${r.seconds} s)${r.error === undefined ? '' : `: ${r.error}`}`)
  return runs.every((r) => r.ok)
}

module.exports = { matrixFiles, runSuite, summarize, ROOT }
