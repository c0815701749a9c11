// @ts-check
// `npm run test:matrix` (second half): the suite with other Fastify versions, each in a copy of the
// project (its git-tracked files, as they are in the working tree, and the freshly built dist/) where
// `npm install --no-save fastify@X` replaces Fastify: the main install is left alone. Fastify 6 needs
// Node 24 or later: it runs on the Node 24 binary from the registry. FASTIFY_MATRIX=5.0.0,5.6.2 picks
// versions (given as npm specs); MATRIX_SKIP_INSTALLED=1 leaves out the version the project has
// installed (CI: `npm test` has just run the whole suite with it). Exit 1 if any run fails.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { nodeBinary } = require('./node-binaries')
const { matrixFiles, ROOT, runSuite, summarize } = require('./suite')

/** npm specs: the first 5.x, one in the middle, the newest 5.x, the newest 6 prerelease or release. */
const SPECS = (process.env.FASTIFY_MATRIX ?? '5.0.0,5.6.2,^5,^6.0.0-0').split(',').filter(Boolean)

const INSTALLED = require('fastify/package.json').version

/** @param {string} command @param {string[]} args @param {string} cwd */
function run (command, args, cwd) {
  // npm's variables from a surrounding `npm run` would point npm at the main project.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')))
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, maxBuffer: 64 * 1024 * 1024 })
}

/** @param {string} spec @returns {string} the newest version the registry has for it */
function resolve (spec) {
  const versions = JSON.parse(run('npm', ['view', `fastify@${spec}`, 'version', '--json'], ROOT))
  const list = Array.isArray(versions) ? versions : [versions]
  return /** @type {string} */ (list.at(-1))
}

/** A copy of the project with that Fastify installed; removed by the caller. */
function projectWith (version) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fastify-expect-fastify-${version}-`))
  for (const file of run('git', ['ls-files', '-z'], ROOT).split('\0').filter(Boolean)) {
    const source = path.join(ROOT, file)
    if (!fs.existsSync(source)) continue
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    fs.copyFileSync(source, path.join(dir, file))
  }
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true })
  // The lock file's tree, with that Fastify instead (no scripts: dist/ is already built).
  run('npm', ['install', '--no-save', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `fastify@${version}`], dir)
  const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'fastify', 'package.json'), 'utf8')).version
  if (installed !== version) throw new Error(`npm installed fastify ${installed}, not ${version}`)
  return dir
}

async function main () {
  /** @type {import('./suite').SuiteRun[]} */
  const runs = []
  for (const spec of SPECS) {
    let version = spec
    let dir
    try {
      version = resolve(spec)
      if (process.env.MATRIX_SKIP_INSTALLED === '1' && version === INSTALLED) {
        console.log(`\nfastify ${version}: the installed version, tested by npm test`)
        continue
      }
      const major = Number(version.split('.')[0])
      const node = major >= 6 ? nodeBinary(24) : { node: process.execPath, version: process.versions.node }
      const started = Date.now()
      dir = projectWith(version)
      console.log(`\nfastify ${version}: installed in ${dir} (${Math.round((Date.now() - started) / 1000)} s)`)
      // The interop tests measure the clients (they run in the Node matrix): left out here, for time.
      const files = matrixFiles(dir).filter((file) => !file.startsWith('test/interop/'))
      runs.push(await runSuite({ label: `Fastify ${version} on Node v${node.version}`, node: node.node, cwd: dir, files }))
    } catch (err) {
      const message = /** @type {Error & { stderr?: string }} */ (err)
      runs.push({ label: `Fastify ${version}`, ok: false, seconds: 0, error: `${message.message.split('\n')[0]} ${message.stderr?.trim().split('\n').slice(-3).join(' ') ?? ''}` })
    } finally {
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  if (!summarize('Fastify matrix', runs)) process.exitCode = 1
}

main()
