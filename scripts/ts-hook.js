// `npm test` runs the TypeScript sources and tests directly: this require hook turns each .ts file
// into CommonJS with TypeScript's transpileModule (transpile only: `npm test` type-checks first),
// with an inline source map, so that the coverage V8 measures maps back to the .ts lines. It does
// what tap's TypeScript plugin (ts-node) did, for a fraction of its cost: ts-node loaded the
// compiler in every test process and transpiled every file again there; this keeps each output in
// node_modules/.cache, named by a hash of the file, its content and the compiler, so that the
// compiler is loaded only by the processes that meet a file not yet transpiled.
// Loaded by tap's node-arg (.taprc) with --require, before tap's own --import hooks, so that
// @tapjs/processinfo still sees (and wraps) every .ts file loaded; ts-hook.mjs sends the test file
// itself, which Node loads as an ES module entry point, here.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { pathToFileURL } = require('node:url')

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
  const key = crypto.createHash('sha256').update(salt).update('\0').update(filename).update('\0').update(source).digest('hex')
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

// require.extensions is deprecated, and still the one CommonJS loader hook Node 20 has
// (module.registerHooks came in Node 22.15); ts-node, pirates and tap's own hooks use it too.
// eslint-disable-next-line n/no-deprecated-api
require.extensions['.ts'] = function loadTypeScript (module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename)
}

const { register } = require('node:module')
if (typeof register !== 'function') throw new Error('the tests need Node 20.6 or later (module.register)')
register(pathToFileURL(path.join(__dirname, 'ts-loader.mjs')))
