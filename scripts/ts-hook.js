// `npm test` runs the TypeScript sources and tests directly: this require hook turns each .ts file
// into CommonJS with TypeScript's transpileModule (transpile only: `npm test` type-checks first),
// with an inline source map, so that the coverage V8 measures maps back to the .ts lines. It does
// what tap's TypeScript plugin (ts-node) did, for a fraction of its cost: ts-node loaded the
// compiler in every test process and transpiled every file again there; this keeps each output in
// node_modules/.cache, named by a hash of the file's path, its content and the compiler, so that the
// compiler is loaded only by a process that meets a file not yet transpiled. `npm test` fills the
// cache first, in one process (`node scripts/ts-hook.js`, beside the build), so that the test
// processes, started together, do not each transpile the same files.
// Loaded by tap's node-arg (.taprc) with --require, before tap's own --import hooks, so that
// @tapjs/processinfo still sees (and wraps) every .ts file loaded; ts-loader.mjs sends the test
// file itself, which Node loads as an ES module entry point, here.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { fileURLToPath, pathToFileURL } = require('node:url')

const root = path.join(__dirname, '..')
const cacheDir = path.join(root, 'node_modules', '.cache', 'fastify-expect-ts')
const typescriptDir = path.dirname(require.resolve('typescript/package.json', { paths: [root] }))

// The build's own options (tsconfig.build.json), the ones that change the emitted JavaScript.
const compilerOptions = {
  target: 'ES2022',
  module: 'commonjs',
  esModuleInterop: true,
  inlineSourceMap: true,
  inlineSources: true
}
const salt = JSON.stringify([
  require(path.join(typescriptDir, 'package.json')).version,
  compilerOptions,
  fs.readFileSync(__filename, 'utf8')
])

let ts
function transpile (source, filename) {
  // The output does not depend on where the project is (its source map names the file, not the
  // path): a copy of the project (scripts/mutate.js makes some) finds the same entries.
  const key = crypto.createHash('sha256').update(salt).update('\0').update(path.relative(root, filename)).update('\0').update(source).digest('hex')
  const cached = path.join(cacheDir, `${key}.js`)
  try {
    return fs.readFileSync(cached, 'utf8')
  } catch {}
  ts ??= require(typescriptDir)
  const { outputText, diagnostics } = ts.transpileModule(source, { fileName: filename, compilerOptions, reportDiagnostics: true })
  if (diagnostics && diagnostics.length > 0) {
    const message = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })
    throw new SyntaxError(message)
  }
  // Written to a file of this process's own, then renamed: a process reading it meets the whole
  // file or none, when the test processes run side by side.
  fs.mkdirSync(cacheDir, { recursive: true })
  const temporary = `${cached}.${process.pid}.tmp`
  fs.writeFileSync(temporary, outputText)
  fs.renameSync(temporary, cached)
  return outputText
}

if (require.main === module) {
  // Fills the cache with the .ts files npm test's processes load: the products', and the tests'
  // of the folders .taprc's suites run, with their helpers.
  const dirs = ['plugin', 'gateway', 'probe', 'test/helpers', 'test/plugin', 'test/gateway', 'test/probe', 'test/examples']
  let count = 0
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!name.endsWith('.ts') || name.endsWith('.d.ts') || name.split(path.sep).includes('node_modules')) continue
      const filename = path.join(root, dir, name)
      transpile(fs.readFileSync(filename, 'utf8'), filename)
      count++
    }
  }
  console.log(`${count} TypeScript files transpiled or found in ${path.relative(root, cacheDir)}`)
} else if (useSyncHooks()) {
  // Node 24.13.1 and later, where tap's own hooks are synchronous (module.registerHooks): then
  // require() itself goes through the hooks, and the source for a .ts file comes from here.
  require('node:module').registerHooks({
    load (url, context, nextLoad) {
      if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context)
      const filename = fileURLToPath(url)
      return { format: 'commonjs', source: transpile(fs.readFileSync(filename, 'utf8'), filename), shortCircuit: true }
    }
  })
} else {
  // require.extensions is deprecated, and still the one CommonJS loader hook Node 20 has
  // (module.registerHooks came in Node 22.15); ts-node, pirates and tap's own hooks use it too.
  // eslint-disable-next-line n/no-deprecated-api
  require.extensions['.ts'] = function loadTypeScript (module, filename) {
    module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename)
  }

  const { register } = require('node:module')
  if (typeof register !== 'function') throw new Error('the tests need Node 20.6 or later (module.register)')
  register(pathToFileURL(path.join(__dirname, 'ts-loader.mjs')))
}

/** Whether tap's hooks (@tapjs/processinfo, @tapjs/mock) are synchronous ones here: the same test as theirs. */
function useSyncHooks () {
  const { register, registerHooks } = require('node:module')
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return typeof registerHooks === 'function' &&
    (typeof register !== 'function' || major > 25 || (major === 25 && minor >= 1) || (major === 24 && minor >= 13))
}
