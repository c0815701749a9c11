// @ts-check
// Question 3: a 100 MB upload that the server refuses (413 too large, 401 no
// token, 415 wrong type), sent the way curl sends it (Expect: 100-continue,
// body on the 100 or after 1 s): bytes the client sent and time to the final
// status, for fastify-expect, plain Fastify and nginx (client_max_body_size).
'use strict'
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { startServer } = require('./procs')
const { upload, request } = require('./client')
const { TOKEN } = require('./server')
const { onServerCore } = require('./affinity')

const SIZE = 100 * 1000 * 1000
/** @param {Record<string, string>} headers */
const head = (headers) => request('PUT', '/files/a', { ...headers, 'content-length': SIZE, expect: '100-continue' })
const CASES = [
  { status: 413, head: head({ authorization: TOKEN, 'content-type': 'application/octet-stream' }) },
  { status: 401, head: head({ 'content-type': 'application/octet-stream' }) },
  { status: 415, head: head({ authorization: TOKEN, 'content-type': 'text/csv' }) }
]

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p))

/** nginx with the same three rules, in a temporary prefix; undefined when nginx is missing. */
async function startNginx () {
  if (NGINX === undefined) return undefined
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastify-expect-nginx-'))
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address())
      probe.close(() => resolve(port))
    })
  })
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  server {
    listen 127.0.0.1:${port};
    # Server-level rules run before the location's body size check.
    if ($http_authorization != "${TOKEN}") { return 401; }
    if ($content_type != "application/octet-stream") { return 415; }
    location /files/ {
      client_max_body_size 1m;
      return 201;
    }
  }
}
`)
  const child = spawn(...onServerCore(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')]), { stdio: 'ignore' })
  // Ready when it accepts a connection (bounded).
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1').on('connect', () => { socket.destroy(); resolve(true) }).on('error', () => resolve(false))
    })
    if (ok) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const version = execFileSync('sh', ['-c', `${NGINX} -v 2>&1`], { encoding: 'utf8' })
  return {
    port,
    version: version.trim(),
    async close () {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill()
      await exited
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** @param {{ runs: number }} options */
async function measureRefused ({ runs }) {
  /** @type {Array<{ server: string, port: number, close: () => Promise<void> }>} */
  const servers = [
    { server: 'fastify-expect', ...await startServer('plugin') },
    { server: 'plain Fastify', ...await startServer('plain') }
  ]
  const nginx = await startNginx()
  if (nginx) servers.push({ server: 'nginx', ...nginx })
  const results = []
  try {
    for (const c of CASES) {
      for (const s of servers) {
        // One uncounted upload first: the server's first one also compiles its code.
        for (let i = 0; i <= runs; i++) {
          const r = await upload(s.port, c.head, SIZE)
          if (i > 0) results.push({ server: s.server, expected: c.status, ...r })
        }
      }
    }
  } finally {
    for (const s of servers) await s.close()
  }
  return { results, nginx: nginx ? nginx.version : 'not installed (skipped)' }
}

module.exports = { measureRefused, SIZE }
