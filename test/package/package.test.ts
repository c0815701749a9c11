// The package as a user meets it: `npm pack`, installed with fastify into an
// empty project, used from ESM, CommonJS and TypeScript (NodeNext and Bundler
// module resolution). One pack, one install (from the npm cache when it can).
// It packs a copy of the repository built afresh, as `npm publish` builds it
// (prepare), so the repository's own dist/, which other tests read, is left alone.
import t from 'tap'
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const repo = resolve(__dirname, '..', '..')
const fixtures = join(__dirname, '..', 'fixtures', 'consumer')
const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc')

interface Run { code: number, stdout: string, stderr: string }

/** Runs a command; npm's own variables from a surrounding `npm test` are dropped, so npm works where it is told. */
function run (command: string, args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')))
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr })
    })
  })
}

interface PackResult { filename: string, size: number, unpackedSize: number, files: Array<{ path: string }> }

// Pack, install, run and type-check take most of the file timeout alone; on a busy machine more.
t.setTimeout(300_000)

t.test('the packed package, installed into an empty project', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'fastify-expect-package-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const project = join(work, 'consumer')

  // A copy of the repository (without what is never published or is rebuilt), built, packed.
  const staging = join(work, 'fastify-expect')
  const skip = new Set(['node_modules', '.git', 'dist', '.tap', 'coverage'].map((name) => join(repo, name)))
  await cp(repo, staging, { recursive: true, filter: (source) => !skip.has(source) && !source.endsWith('.tgz') })
  await symlink(join(repo, 'node_modules'), join(staging, 'node_modules'), 'dir')
  const build = await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], staging)
  t.equal(build.code, 0, 'the build (npm run build)', { output: build.stdout })
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], staging)
  t.equal(pack.code, 0, 'npm pack', { stderr: pack.stderr })
  const [packed] = JSON.parse(pack.stdout) as [PackResult]
  t.comment(`${packed.filename}: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`)

  const modules = (await Promise.all(['plugin', 'gateway', 'probe'].map(async (dir) =>
    (await readdir(join(repo, dir), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f.slice(0, -3)}`)))).flat()
  const expected = [
    'CHANGELOG.md', 'LICENSE', 'README.md', 'package.json', 'types/index.d.ts',
    ...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.d.ts`])
  ].sort()
  t.same(packed.files.map((f) => f.path).sort(), expected, 'only what users need: dist JS and .d.ts, the public types, README, LICENSE, CHANGELOG')

  // Install, as a user would: the tarball and fastify (its peer) from the registry.
  await cp(fixtures, project, { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  const install = await run('npm', [
    'install', join(work, packed.filename), 'fastify@^5', '@types/node@^20',
    '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'
  ], project)
  t.equal(install.code, 0, 'npm install', { stderr: install.stderr })

  const expectedRun = {
    type: 'function',
    sameFunction: true,
    statusCode417: 417,
    probe: {
      accepted: { status: 200, continued: true, body: '{"ok":true}' },
      tooLarge: { status: 413, continued: false },
      wrongType: { status: 415, continued: false }
    }
  }
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    const result = await run(process.execPath, [script], project)
    t.equal(result.code, 0, `node ${script}`, { stderr: result.stderr })
    t.match(JSON.parse(result.stdout || '{}'), expectedRun, `${script}: one function under every name, and it answers real expectation requests`)
  }

  // The probe, as `npx fastify-expect probe` (the package's bin), against a plain Node server: Node answers 100.
  const server = createServer((request, response) => { response.end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`
  const probed = await run('npx', ['--no-install', 'fastify-expect', 'probe', url, '--json'], project)
  t.equal(probed.code, 0, 'npx fastify-expect probe', { stderr: probed.stderr })
  t.match(JSON.parse(probed.stdout || '{}'), { outcome: 'continue', bodyBytesSent: 0 }, 'the probe reports the 100 of a plain Node server')
  const usage = await run('npx', ['--no-install', 'fastify-expect', 'probe'], project)
  t.equal(usage.code, 2, 'a usage error exits 2')
  t.match(usage.stderr, /no URL given/)
  // The gateway helpers, under their own entry point.
  const probeGateway = 'console.log(JSON.stringify([typeof g.forwardExpectation, typeof g.expectContinueHandler, typeof g.callUpstream]))'
  for (const [label, args] of [
    ["require('fastify-expect/gateway')", ['-e', `const g = require('fastify-expect/gateway'); ${probeGateway}`]],
    ["import * as g from 'fastify-expect/gateway'", ['--input-type=module', '-e', `import * as g from 'fastify-expect/gateway'; ${probeGateway}`]]
  ] as const) {
    const gateway = await run(process.execPath, [...args], project)
    t.same(JSON.parse(gateway.stdout || '[]'), ['function', 'function', 'function'], label, { stderr: gateway.stderr })
  }

  // TypeScript. The fixtures' @ts-expect-error lines (contentTypes: 5, a bad
  // option, the plugin not being `any`) fail the build if they meet no error.
  await cp(join(project, 'esm-app.mts'), join(project, 'esm-app.ts'))
  const configs = {
    nodenext: {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      files: ['esm-app.mts', 'cjs-app.cts']
    },
    bundler: {
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', esModuleInterop: true, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['esm-app.ts']
    }
  }
  for (const [name, config] of Object.entries(configs)) {
    await writeFile(join(project, `tsconfig.${name}.json`), JSON.stringify(config))
    const result = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`, '--listFiles'], project)
    t.equal(result.code, 0, `tsc (${name}) passes`, { output: result.stdout.split('\n').filter((line) => !line.startsWith('/')).join('\n') })
    const listed = result.stdout.split('\n').map((line) => line.replaceAll('\\', '/'))
    t.ok(listed.some((f) => f.endsWith('/node_modules/fastify-expect/types/index.d.ts')), `${name}: the package's types are types/index.d.ts`)
    t.ok(listed.some((f) => f.endsWith('/node_modules/fastify-expect/dist/options.d.ts')), `${name}: their ../dist/options import resolves in the installed package`)
  }
})
