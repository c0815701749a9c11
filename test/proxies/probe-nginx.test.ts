// The probe against nginx (in the proxy suite, beside the other tests that run nginx; a skip on a
// laptop without nginx, a failure in CI: helpers/tools.ts): nginx as the
// server (client_max_body_size and `return` refuse before the body, a 100 when
// it starts reading), and nginx as a reverse proxy in front of the upload app,
// where nginx answers 100 itself and the app sees nothing of the expectation.
import { findDaemon } from '../helpers/proxies'
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildUploadApp, TOKEN } from '../../examples/upload-app'
import { listenOnLoopback, until } from '../helpers/server'
import { probeJson, trackConnections } from '../helpers/probe'
import { requireTool } from '../helpers/tools'

// Find nginx only: installing it is for the benchmarks (`apt-get install nginx`), not for a test run.
process.env.BENCH_NO_INSTALL = '1'

const nginx = findDaemon('nginx')

const freePort = (): Promise<number> => new Promise((resolve) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resolve(port))
  })
})

/** Runs nginx with `server` as its one server block (listening on the returned port) until the test ends. */
async function startNginx (t: Test, server: (port: number) => string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fastify-expect-probe-nginx-'))
  const port = await freePort()
  const isRoot = process.getuid?.() === 0
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
${isRoot ? 'user root root;' : ''}
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; ${server(port)} }
}
`)
  const binary = nginx as string
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  })
  const accepts = (): Promise<boolean> => new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
  if (!await until(t, `nginx accepting connections (${stderr})`, async () => child.exitCode === null && await accepts())) throw new Error(stderr)
  return port
}

t.test('nginx as the server', async (t) => {
  if (requireTool(t, 'nginx') === undefined) return
  // A server-level `if` runs before the location's client_max_body_size check.
  const port = await startNginx(t, () => `
    if ($http_authorization != "${TOKEN}") { return 401; }
    location /files/ {
      client_max_body_size 1m;
      return 201;
    }`)
  const url = `http://127.0.0.1:${port}/files/a.bin`

  const noToken = await probeJson(url)
  t.equal(noToken.report.outcome, 'final')
  t.equal(noToken.report.response?.status, 401, 'a rewrite-phase refusal comes before the body')
  t.match(noToken.report.response?.headers.server, /^nginx/)

  const tooLarge = await probeJson(url, '-H', `Authorization: ${TOKEN}`, '--size', '2M')
  t.equal(tooLarge.report.outcome, 'final')
  t.equal(tooLarge.report.response?.status, 413, 'client_max_body_size answers before the 100')

  const accepted = await probeJson(url, '-H', `Authorization: ${TOKEN}`, '--size', '1000')
  t.equal(accepted.code, 0)
  t.equal(accepted.report.outcome, 'continue', 'nginx sends 100 when it starts reading the body')
  t.equal(accepted.report.bodyBytesSent, 0)
})

t.test('nginx as a reverse proxy: it answers 100 itself, the app sees nothing', async (t) => {
  if (requireTool(t, 'nginx') === undefined) return
  const app = buildUploadApp()
  const connections = trackConnections(app.server)
  const appPort = await listenOnLoopback(t, app)
  const port = await startNginx(t, () => `
    client_max_body_size 0;
    location / { proxy_pass http://127.0.0.1:${appPort}; proxy_http_version 1.1; }`)
  // Without a token the app would answer 401 before the body; behind nginx the client gets a 100.
  const { code, report } = await probeJson(`http://127.0.0.1:${port}/files/a.bin`)
  t.equal(code, 0)
  t.equal(report.outcome, 'continue', 'nginx answers 100 before asking the app anything')
  t.equal(connections.count(), 0, 'the 100 came from nginx: the app had not even been connected to (nginx buffers the whole body first)')
})
