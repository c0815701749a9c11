#!/usr/bin/env node
// `npm test`: the build, then two chains side by side, because the checks (lint, type check,
// tstyche) run on one core each, one after the other, and left the second core idle for half a
// minute; the tap suite (with its coverage floors) is the other chain. Every step still runs; the first failure fails the
// run (the other chain is let finish, so that its output shows too). Each step's output is printed
// whole when the step ends, under its name, so the two chains do not interleave.
'use strict'
const { spawn } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
const bin = (name) => path.join(root, 'node_modules', '.bin', name)

// The build comes first: the examples the tests run require the package (`require('..')`, dist/),
// and the type tests read the declarations it writes (types/index.d.ts imports dist/).
const first = ['build', 'npm', ['run', '--silent', 'build']]
const chains = [
  [
    ['lint', bin('eslint'), ['.']],
    ['type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
    ['type tests', bin('tstyche'), []]
  ],
  [
    ['tap', bin('tap'), []],
    ['coverage floors', process.execPath, [path.join(__dirname, 'coverage-floor.js')]]
  ]
]

function run ([name, command, args]) {
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

async function chain (steps) {
  for (const step of steps) {
    if (!await run(step)) return false
  }
  return true
}

async function main () {
  const started = Date.now()
  const results = await run(first) ? await Promise.all(chains.map(chain)) : [false]
  const ok = results.every(Boolean)
  console.log(`\nnpm test: ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  if (!ok) process.exitCode = 1
}

main()
