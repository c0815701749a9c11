// The package as a user meets it: `npm pack`, installed with fastify into an
// empty project, used from ESM, CommonJS and TypeScript (NodeNext and Bundler
// module resolution), and the README's install snippets run as printed against
// it. One pack, one install (from the npm cache when it can).
// It packs a copy of the repository built afresh, as `npm pack` and `npm publish`
// build it (prepack), so the repository's own dist/, which other tests read, is left alone.
// Also measured here: what installing it adds to an app that has Fastify (< 1 MB).
import t, { type Test } from 'tap'
import { execFile, spawn } from 'node:child_process'
import { cp, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { head, rawRequest } from '../helpers/raw-client'

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

  // Every module of the three products, but the TypeBox schema source, which is compiled ahead (schema/compiled.ts).
  const buildOnly = new Set(['plugin/schema/source'])
  const modules = (await Promise.all(['plugin', 'gateway', 'probe'].map(async (dir) =>
    (await readdir(join(repo, dir), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f.slice(0, -3)}`)))).flat()
    .filter((m) => !buildOnly.has(m))
  const expected = [
    'CHANGELOG.md', 'LICENSE', 'README.md', 'package.json', 'types/index.d.ts',
    ...modules.flatMap((m) => [`dist/${m}.js`, `dist/${m}.d.ts`])
  ].sort()
  const files = packed.files.map((f) => f.path).sort()
  t.same(files, expected, 'only what users need: dist JS and .d.ts, the public types, README, LICENSE, CHANGELOG (no source maps)')

  // The published package.json: no install-time script, metadata, TypeBox not a dependency.
  const manifest = JSON.parse(await readFile(join(staging, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>, dependencies: Record<string, string>, repository?: unknown, homepage?: string, bugs?: unknown
  }
  t.same(['preinstall', 'install', 'postinstall', 'prepare'].filter((name) => name in manifest.scripts), [], 'installing the tarball runs no script (the build is on prepack)')
  t.ok(manifest.repository !== undefined && manifest.homepage !== undefined && manifest.bugs !== undefined, 'repository, homepage and bugs')
  t.notOk(Object.keys(manifest.dependencies).some((name) => name.includes('typebox')), 'TypeBox is not a dependency')

  // README links: to a file the tarball ships, a heading, or an absolute URL.
  const readme = await readFile(join(staging, 'README.md'), 'utf8')
  const relative = [...readme.matchAll(/\]\(([^)#][^)]*)\)/g)].map((m) => m[1] as string).filter((link) => !/^https?:/.test(link))
  t.same(relative.filter((link) => !files.includes(link)), [], 'README links only to shipped files or absolute URLs')

  // Install, as a user would: the tarball and fastify (its peer) from the registry.
  await cp(fixtures, project, { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  const install = await run('npm', [
    'install', join(work, packed.filename), 'fastify@^5', '@types/node@^20',
    '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'
  ], project)
  t.equal(install.code, 0, 'npm install', { stderr: install.stderr })
  t.notMatch(install.stderr, /install script|prepare/i, 'npm does not warn about an install script')

  // What fastify-expect adds to an app that has Fastify: the packages only it pulls in, on disk.
  const added = await addedBy(project, 'fastify-expect')
  t.comment(`installing fastify-expect next to fastify adds ${added.bytes} bytes: ${added.packages.join(', ')}`)
  t.ok(added.bytes < 1_000_000, `under 1 MB added (${(added.bytes / 1e6).toFixed(3)} MB)`, added)
  t.notOk(added.packages.some((name) => name.includes('typebox')), 'no TypeBox')
  const shipped = (await Promise.all(files.filter((f) => f.startsWith('dist/') || f.startsWith('types/')).map(async (f) => await readFile(join(project, 'node_modules', 'fastify-expect', f), 'utf8'))))
  t.notOk(shipped.some((text) => text.includes('typebox')), 'no shipped .js or .d.ts mentions TypeBox')
  t.notOk(shipped.some((text) => text.includes('sourceMappingURL')), 'no reference to a source map')

  const expectedRun = {
    type: 'function',
    sameFunction: true,
    statusCode417: 417,
    probe: {
      accepted: { status: 200, continued: true, body: '{"ok":true}' },
      tooLarge: { status: 413, continued: false },
      wrongType: { status: 415, continued: false },
      invalidOption: { code: 'FST_ERR_EXPECT_INVALID_OPTION', message: /^fastify-expect options: \/sendcontinue is not an option \(did you mean sendContinue\?\); the options are sendContinue, / }
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
    t.ok(listed.some((f) => f.endsWith('/node_modules/fastify-expect/dist/plugin/options.d.ts')), `${name}: their ../dist/plugin imports resolve in the installed package`)
  }

  // The README's snippets, as printed, in the same project.
  const snippets = readmeSnippets(readme)
  t.same(Object.keys(snippets).sort(), ['cjs', 'esm', 'ts'], 'the README marks its esm, cjs and ts snippets')
  await writeFile(join(project, 'server.mjs'), snippets.esm ?? '')
  await writeFile(join(project, 'server.cjs'), snippets.cjs ?? '')
  await writeFile(join(project, 'server.mts'), snippets.ts ?? '')
  const strict = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, files: ['server.mts'] }
  await writeFile(join(project, 'tsconfig.snippet.json'), JSON.stringify(strict))
  const compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.snippet.json'], project)
  t.equal(compiled.code, 0, 'the TypeScript snippet compiles under strict', { output: compiled.stdout })
  for (const file of ['server.mjs', 'server.cjs']) {
    await t.test(`README snippet ${file}, run as printed`, async (t) => { await driveSnippet(t, project, file) })
  }
})

/** The README's code blocks marked `<!-- snippet: name -->`, by name. */
function readmeSnippets (readme: string): Record<string, string> {
  const found: Record<string, string> = {}
  for (const match of readme.matchAll(/<!-- snippet: (\w+) -->\n```\w*\n([\s\S]*?)\n```/g)) found[match[1] as string] = `${match[2] as string}\n`
  return found
}

/** Starts a snippet (PORT=0), reads its address from its log, and sends it real expectation uploads. */
async function driveSnippet (t: Test, project: string, file: string): Promise<void> {
  const child = spawn(process.execPath, [file], { cwd: project, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill() })
  let log = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      const found = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(log)
      if (found !== null) resolve(Number(found[1]))
    })
    child.on('exit', (code) => { reject(new Error(`${file} exited (${code}) before listening: ${stderr}`)) })
  })
  const upload = (type: string, length: number) => rawRequest({
    port,
    head: head('PUT /files/a.bin HTTP/1.1', { host: 'localhost', expect: '100-continue', 'content-type': type, 'content-length': length }),
    body: Buffer.alloc(length),
    timeoutMs: 10_000
  })
  const tooLarge = await upload('application/octet-stream', 20_000_000)
  t.same([tooLarge.status, tooLarge.informational, tooLarge.bodyBytesSent], [413, [], 0], '20 MB: 413 before the body, none of it sent')
  const wrongType = await upload('text/csv', 2_000_000)
  t.same([wrongType.status, wrongType.informational, wrongType.bodyBytesSent], [415, [], 0], 'text/csv: 415 before the body')
  const accepted = await upload('application/octet-stream', 2_000_000)
  t.same([accepted.informational, accepted.status], [['HTTP/1.1 100 Continue'], 200], 'accepted: 100, then 200')
  t.same(JSON.parse(accepted.body || '{}'), { name: 'a.bin', bytes: 2_000_000 }, 'the route counted the whole body')
  t.match(log, /upload refused before its body: 413/, 'logger: true shows the plugin\'s refusal lines')
  t.equal(stderr, '', 'nothing on stderr')
}

/**
 * Bytes on disk of the packages in `project` that only `name` brings in (reachable from it and
 * from no other top-level dependency), read from npm's node_modules/.package-lock.json.
 */
async function addedBy (project: string, name: string): Promise<{ bytes: number, packages: string[] }> {
  const lock = JSON.parse(await readFile(join(project, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string>, peerDependencies?: Record<string, string> }>
  }
  const root = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  // Node's resolution: the nearest node_modules/<dep> up from the dependent's folder.
  const locate = (from: string, dep: string): string | undefined => {
    for (let at = from; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${at === '' ? '' : `${at}/`}node_modules/${dep}`
      if (candidate in lock.packages) return candidate
      if (at === '') return undefined
    }
  }
  const reach = (starts: string[]): Set<string> => {
    const seen = new Set<string>()
    const queue = [...starts]
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue
      seen.add(next)
      for (const dep of Object.keys({ ...lock.packages[next]?.dependencies, ...lock.packages[next]?.peerDependencies })) {
        const found = locate(next, dep)
        if (found !== undefined) queue.push(found)
      }
    }
    return seen
  }
  const others = reach(Object.keys(root.dependencies).filter((dep) => dep !== name).map((dep) => `node_modules/${dep}`))
  const only = [...reach([`node_modules/${name}`])].filter((path) => !others.has(path))
  let bytes = 0
  for (const path of only) bytes += await sizeOf(join(project, path))
  return { bytes, packages: only.map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)) }
}

/** Bytes of the files of a package folder, its own node_modules left out (counted as packages). */
async function sizeOf (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (!entry.isFile() || path.slice(dir.length).split('/').includes('node_modules')) continue
    total += (await stat(path)).size
  }
  return total
}
