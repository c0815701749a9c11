// Reverse proxies from Debian's packages (HAProxy, Apache httpd, Caddy, nginx, Varnish), each run
// in the foreground by the test with a config written to a temporary directory, listening on a
// free loopback port in front of one upstream port, and stopped when the test ends.
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Test } from 'tap'

export interface ProxyVariant {
  /** File name under test/proxy-results and the README row order, e.g. '10-haproxy'. */
  readonly id: string
  /** The proxy's setting, as the README names it. */
  readonly name: string
  readonly program: string
  /** The package that provides it (for the skip message). */
  readonly debianPackage: string
  /** The proxy passes `Expect: 100-continue` on to the app (the test checks it). */
  readonly forwardsExpect: boolean
  /**
   * When the proxy sends a 100 of its own: never (it relays the app's); before it forwards the request
   * (the client always sends its body); or as it starts forwarding the body, racing the app's answer.
   */
  readonly proxyContinue: 'never' | 'before forwarding' | 'racing the app'
  /** The command line and files to run it in `dir`, listening on `port`, forwarding to `upstream`. */
  setup (dir: string, port: number, upstream: number): { args: string[], files: Record<string, string>, env?: Record<string, string> }
  /** The proxy and its version, e.g. 'HAProxy 2.6.12' */
  version (binary: string): string
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/** A program on the PATH or in the sbin directories (where Debian puts daemons). */
export function findDaemon (name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (dir === '') continue
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return undefined
}

/** The first line of a program's version output that matches. */
function versionLine (binary: string, args: string[], pattern: RegExp): string {
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: 10_000 })
  return pattern.exec(`${run.stdout ?? ''}\n${run.stderr ?? ''}`)?.[1] ?? 'unknown version'
}

function haproxy (bufferRequest: boolean): ProxyVariant {
  return {
    id: bufferRequest ? '11-haproxy-http-buffer-request' : '10-haproxy',
    name: bufferRequest ? '`mode http` with `option http-buffer-request`' : '`mode http` (default settings)',
    program: 'haproxy',
    debianPackage: 'haproxy',
    forwardsExpect: !bufferRequest,
    proxyContinue: bufferRequest ? 'before forwarding' : 'never',
    setup: (dir, port, upstream) => ({
      args: ['-db', '-f', join(dir, 'haproxy.cfg')],
      files: {
        'haproxy.cfg': [
          'global', '  maxconn 256',
          'defaults', '  mode http', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s',
          ...(bufferRequest ? ['  option http-buffer-request'] : []),
          'frontend web', `  bind 127.0.0.1:${port}`, '  default_backend app',
          'backend app', `  server app1 127.0.0.1:${upstream}`, ''
        ].join('\n')
      }
    }),
    version: (binary) => `HAProxy ${versionLine(binary, ['-v'], /HAProxy version (\d+\.\d+\.\d+)/)}`
  }
}

function apache (proxy100Continue: 'On' | 'Off'): ProxyVariant {
  return {
    id: proxy100Continue === 'On' ? '20-apache-proxy100continue-on' : '21-apache-proxy100continue-off',
    name: `mod_proxy_http, \`Proxy100Continue ${proxy100Continue}\`${proxy100Continue === 'On' ? ' (default)' : ''}`,
    program: 'apache2',
    debianPackage: 'apache2',
    forwardsExpect: proxy100Continue === 'On',
    proxyContinue: proxy100Continue === 'On' ? 'never' : 'before forwarding',
    setup: (dir, port, upstream) => {
      const modules = '/usr/lib/apache2/modules'
      return {
        args: ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'],
        files: {
          'httpd.conf': [
            `ServerRoot ${dir}`, `DefaultRuntimeDir ${dir}`, `PidFile ${dir}/httpd.pid`, `ErrorLog ${dir}/error.log`,
            'ServerName localhost', `Listen 127.0.0.1:${port}`,
            ...(isRoot ? ['User www-data', 'Group www-data'] : []),
            ...['mpm_event', 'authz_core', 'proxy', 'proxy_http'].map((m) => `LoadModule ${m}_module ${modules}/mod_${m}.so`),
            'StartServers 1', 'ServerLimit 2', 'ThreadsPerChild 25',
            `ProxyPass / http://127.0.0.1:${upstream}/`,
            `Proxy100Continue ${proxy100Continue}`, ''
          ].join('\n')
        },
        // Debian's apache2 binary reads these from /etc/apache2/envvars when started by apache2ctl.
        env: { APACHE_RUN_DIR: dir, APACHE_LOCK_DIR: dir, APACHE_LOG_DIR: dir }
      }
    },
    version: (binary) => `Apache httpd ${versionLine(binary, ['-v'], /Apache\/(\S+)/)}`
  }
}

function caddy (expectContinueTimeout: boolean): ProxyVariant {
  return {
    id: expectContinueTimeout ? '31-caddy-expect-continue-timeout' : '30-caddy',
    name: expectContinueTimeout ? '`reverse_proxy` with `transport http { expect_continue_timeout 2s }`' : '`reverse_proxy` (default settings)',
    program: 'caddy',
    debianPackage: 'caddy',
    forwardsExpect: true,
    proxyContinue: expectContinueTimeout ? 'never' : 'racing the app',
    setup: (dir, port, upstream) => ({
      args: ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
      files: {
        Caddyfile: [
          '{', '  admin off', '  auto_https off', '}',
          `http://127.0.0.1:${port} {`,
          `  reverse_proxy 127.0.0.1:${upstream}${expectContinueTimeout ? ' {' : ''}`,
          ...(expectContinueTimeout ? ['    transport http {', '      expect_continue_timeout 2s', '    }', '  }'] : []),
          '}', ''
        ].join('\n')
      },
      // Caddy keeps its state under the home and XDG directories: the temporary directory instead.
      env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }
    }),
    version: (binary) => `Caddy ${versionLine(binary, ['version'], /v?(\d+\.\d+\.\d+)/)}`
  }
}

function nginx (buffering: boolean): ProxyVariant {
  return {
    id: buffering ? '40-nginx' : '41-nginx-unbuffered',
    name: buffering ? '`proxy_pass` (default settings: request buffering on)' : '`proxy_request_buffering off`, `proxy_http_version 1.1`',
    program: 'nginx',
    debianPackage: 'nginx',
    forwardsExpect: false,
    proxyContinue: buffering ? 'before forwarding' : 'racing the app',
    setup: (dir, port, upstream) => ({
      args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      files: {
        'nginx.conf': [
          'daemon off;', 'worker_processes 1;', `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log;`,
          'events { worker_connections 256; }',
          'http {',
          '  access_log off;',
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind}_temp;`),
          '  client_max_body_size 0;',
          ...(buffering ? [] : ['  proxy_request_buffering off;', '  proxy_http_version 1.1;']),
          `  server { listen 127.0.0.1:${port}; location / { proxy_pass http://127.0.0.1:${upstream}; } }`,
          '}', ''
        ].join('\n')
      }
    }),
    version: (binary) => `nginx ${versionLine(binary, ['-v'], /nginx\/(\S+)/)}`
  }
}

const varnish: ProxyVariant = {
  id: '50-varnish',
  name: 'default VCL (uploads are passed)',
  program: 'varnishd',
  debianPackage: 'varnish',
  forwardsExpect: false,
  proxyContinue: 'before forwarding',
  setup: (dir, port, upstream) => ({
    // -j none: no jail (no user switch), -T: its management port on loopback too.
    args: ['-F', '-j', 'none', '-n', join(dir, 'varnish'), '-a', `127.0.0.1:${port}`, '-T', '127.0.0.1:0', '-b', `127.0.0.1:${upstream}`, '-s', 'malloc,32m'],
    files: {}
  }),
  version: (binary) => `Varnish ${versionLine(binary, ['-V'], /varnish-(\S+)/)}`
}

export const PROXIES = { haproxy: [haproxy(false), haproxy(true)], apache: [apache('On'), apache('Off')], caddy: [caddy(false), caddy(true)], nginx: [nginx(true), nginx(false)], varnish: [varnish] }

/** A free loopback port, now (the proxy binds it right after). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts connections on the port; rejects when `failed` says the proxy is gone, or after 20 s. */
async function accepting (port: number, failed: () => string | undefined): Promise<void> {
  const end = Date.now() + 20_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => { socket.destroy(); resolve(true) })
      socket.on('error', () => resolve(false))
    })
    if (ok) return
    const reason = failed()
    if (reason !== undefined) throw new Error(reason)
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after 20 s`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export interface RunningProxy {
  readonly port: number
  readonly version: string
}

/** The reason to skip a variant on this machine, or undefined. */
export function missing (variant: ProxyVariant): string | undefined {
  return findDaemon(variant.program) === undefined
    ? `${variant.program} is not installed (apt-get install ${variant.debianPackage}; CI installs it: .ci/run)`
    : undefined
}

/** Starts the proxy in front of `upstream`; stopped (SIGTERM, then SIGKILL) when the test ends. */
export async function startProxy (t: Test, variant: ProxyVariant, upstream: number): Promise<RunningProxy> {
  const binary = findDaemon(variant.program) as string
  const dir = mkdtempSync(join(tmpdir(), `fastify-expect-${variant.program}-`))
  // Workers that drop privileges (nginx's, Apache's) still read their files in it.
  chmodSync(dir, 0o755)
  const port = await freePort()
  const { args, files, env = {} } = variant.setup(dir, port, upstream)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const child = spawn(binary, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let exited: string | undefined
  child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 8192) stderr += chunk.toString() })
  child.on('error', (err) => { exited = err.message })
  child.on('exit', (code, signal) => { exited = `exited (${code ?? signal})` })
  t.teardown(async () => {
    if (exited === undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  })
  await accepting(port, () => exited === undefined ? undefined : `${variant.program} ${exited}: ${stderr.trim()}`)
  return { port, version: variant.version(binary) }
}
