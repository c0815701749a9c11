#!/usr/bin/env node
// `npm test`: the build, lint, type check, type tests and the tap suite (with its coverage floors),
// each step started as soon as what it needs is done, so that both cores stay busy to the end
// (lint, type check and type tests one after the other ended the run on one core):
//   build ──────┬─ tap ─ coverage floors
//   transpile ──┘
//   build ──────── type check
//   build ──────── type tests
//   lint
// The build comes before tap, the type check and the type tests: the examples the tests run
// require the package (`require('..')`, dist/), the type check reads the declarations the
// examples get from it, and the type tests read types/index.d.ts, which imports dist/. Transpile
// fills the cache of the tests' TypeScript (scripts/ts-hook.js) once, for tap's processes. Lint
// needs nothing; these three start together. Every step runs; a failed step fails the run, and
// the steps that need it do not run (the others are let finish, so that their output shows too).
// Each step's output is printed whole when the step ends, under its name, so that the steps do
// not interleave.
'use strict'
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const bin = (name) => path.join(root, 'node_modules', '.bin', name)
// Two TypeScripts, each called by its own path (both packages carry a `tsc`, and which one
// node_modules/.bin/tsc names depends on how npm installed them): TypeScript 7 (`typescript-go`,
// the native compiler: the type check in 5 s of CPU instead of 19) checks; TypeScript 5.9 builds
// (the emitted files as every release so far) and is the JavaScript API that 7.0 does not have yet
// (transpileModule in scripts/ts-hook.js and plugin/schema/compile.js, tstyche).
const tsc = (pkg) => path.join(root, 'node_modules', pkg, 'bin', 'tsc')

// As `npm run build` starts: no output of an earlier build is left behind.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true })

/** name -> [command, args, the steps it needs] */
const STEPS = {
  // `npm run build`, less its type check (--noCheck: the same output): the type check step checks
  // the same sources with the same options (tsconfig.json extends the build's), and more.
  build: [process.execPath, [tsc('typescript'), '-p', 'tsconfig.build.json', '--noCheck'], []],
  transpile: [process.execPath, [path.join(__dirname, 'ts-hook.js')], []],
  lint: [bin('eslint'), ['.'], []],
  tap: [bin('tap'), [], ['build', 'transpile']],
  'coverage floors': [process.execPath, [path.join(__dirname, 'coverage-floor.js')], ['tap']],
  'type check': [process.execPath, [tsc('typescript-go'), '-p', 'tsconfig.json', '--noEmit'], ['build']],
  'type tests': [bin('tstyche'), [], ['build']]
}

function run (name, [command, args]) {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const output = []
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    child.on('error', (err) => output.push(Buffer.from(`${err.message}\n`)))
    child.on('close', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      const ok = code === 0
      process.stdout.write(`\n=== ${name}: ${ok ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`} in ${seconds} s\n`)
      process.stdout.write(Buffer.concat(output))
      resolve(ok)
    })
  })
}

async function main () {
  const started = Date.now()
  /** name -> Promise<boolean>: the step passed (false when it failed or did not run). */
  const outcomes = {}
  const outcome = (name) => {
    outcomes[name] ??= (async () => {
      const needs = STEPS[name][2]
      const ready = await Promise.all(needs.map(outcome))
      if (ready.every(Boolean)) return run(name, STEPS[name])
      process.stdout.write(`\n=== ${name}: not run (${needs.filter((_, i) => !ready[i]).join(', ')} failed)\n`)
      return false
    })()
    return outcomes[name]
  }
  const results = await Promise.all(Object.keys(STEPS).map(outcome))
  const ok = results.every(Boolean)
  console.log(`\nnpm test: ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (!ok) process.exitCode = 1
}

main()
