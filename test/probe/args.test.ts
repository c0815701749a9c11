// The probe's command line, parsed without any socket: defaults, every option,
// and a clear UsageError for each kind of mistake.
import t, { type Test } from 'tap'
import { DEFAULT_SIZE, DEFAULT_TIMEOUT_MS, parseHeader, parseProbeArgs, parseSize, UsageError, type ProbeArgs } from '../../probe/args'

const args = (argv: string[]): ProbeArgs => {
  const parsed = parseProbeArgs(argv)
  if (parsed.help) throw new Error('help')
  return parsed.args
}
const usageError = (t: Test, argv: string[], message: RegExp): void => {
  t.throws(() => parseProbeArgs(argv), { name: 'UsageError', message }, argv.join(' '))
}

t.test('defaults', async (t) => {
  const a = args(['probe', 'http://example.test/up'])
  t.equal(a.url.href, 'http://example.test/up')
  t.equal(a.method, 'PUT')
  t.equal(a.size, DEFAULT_SIZE)
  t.equal(DEFAULT_SIZE, 10 * 1024 * 1024)
  t.same(a.headers, [])
  t.equal(a.timeoutMs, DEFAULT_TIMEOUT_MS)
  t.equal(a.insecure, false)
  t.equal(a.json, false)
})

t.test('every option, long and short', async (t) => {
  const long = args(['probe', 'https://[::1]:8443/a?b=1', '--method', 'POST', '--size', '3MB', '--header', 'Authorization: Bearer x',
    '--header', 'Content-Type:  image/png ', '--timeout', '1500', '--insecure', '--json'])
  t.equal(long.method, 'POST')
  t.equal(long.size, 3_000_000)
  t.same(long.headers, [['Authorization', 'Bearer x'], ['Content-Type', 'image/png']])
  t.equal(long.timeoutMs, 1500)
  t.equal(long.insecure, true)
  t.equal(long.json, true)
  const short = args(['probe', '-X', 'PATCH', '-s', '1k', '-H', 'Expect:', '-t', '10', '-k', 'http://h/'])
  t.equal(short.method, 'PATCH')
  t.equal(short.size, 1024)
  t.same(short.headers, [['Expect', '']], 'an empty value (removes a default header)')
  t.equal(short.timeoutMs, 10)
  t.equal(short.insecure, true)
  t.same(parseProbeArgs(['--help']), { help: true })
  t.same(parseProbeArgs(['probe', '-h']), { help: true })
})

t.test('sizes', async (t) => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['1000', 1000], ['10M', 10 * 1024 ** 2], ['1.5MiB', 1.5 * 1024 ** 2], ['2 KiB', 2048],
    ['1G', 1024 ** 3], ['1gb', 1e9], ['7b', 7], ['1kb', 1000], ['1mb', 1e6], ['1gib', 1024 ** 3]
  ]
  for (const [text, bytes] of cases) t.equal(parseSize(text), bytes, text)
  for (const bad of ['', '-1', 'ten', '1.5', '1T', '1e3', '99999999999G']) {
    t.throws(() => parseSize(bad), UsageError, `"${bad}" is refused`)
  }
})

t.test('headers', async (t) => {
  t.same(parseHeader('X-A: b: c'), ['X-A', 'b: c'], 'the value keeps its colons')
  t.throws(() => parseHeader('no colon'), { message: /expected 'Name: value'/ })
  t.throws(() => parseHeader(': value'), { message: /valid field name/ })
  t.throws(() => parseHeader('Bad Name: value'), { message: /valid field name/ })
  t.throws(() => parseHeader('X: a\r\nInjected: yes'), { message: /line break/ })
  t.throws(() => parseHeader('Content-Length: 5'), { message: /declares the body itself/ })
  t.throws(() => parseHeader('transfer-encoding: chunked'), { message: /declares the body itself/ })
})

t.test('usage errors', async (t) => {
  usageError(t, [], /no command given/)
  usageError(t, ['fetch', 'http://h/'], /unknown command "fetch"/)
  usageError(t, ['probe'], /no URL given/)
  usageError(t, ['probe', 'http://a/', 'http://b/'], /unexpected argument "http:\/\/b\/"/)
  usageError(t, ['probe', 'not a url'], /bad URL "not a url"/)
  usageError(t, ['probe', 'ftp://h/'], /only http:\/\/ and https:\/\//)
  usageError(t, ['probe', 'http://u:p@h/'], /credentials/)
  usageError(t, ['probe', 'http://h/', '--method', 'P U T'], /bad --method/)
  usageError(t, ['probe', 'http://h/', '--size', 'big'], /bad --size "big"/)
  usageError(t, ['probe', 'http://h/', '--timeout', '0'], /bad --timeout "0"/)
  usageError(t, ['probe', 'http://h/', '--timeout', '1.5'], /bad --timeout/)
  usageError(t, ['probe', 'http://h/', '--timeout', '600001'], /bad --timeout/)
  usageError(t, ['probe', 'http://h/', '--verbose'], /Unknown option '--verbose'/)
  usageError(t, ['probe', 'http://h/', '--size'], /argument missing/)
})

t.test('--cacert', async (t) => {
  const dir = t.testdir({ 'ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'notes.txt': 'hello' })
  t.match(args(['probe', 'https://h/', '--cacert', `${dir}/ca.pem`]).ca, /BEGIN CERTIFICATE/)
  usageError(t, ['probe', 'https://h/', '--cacert', `${dir}/missing.pem`], /bad --cacert .*ENOENT/)
  usageError(t, ['probe', 'https://h/', '--cacert', `${dir}/notes.txt`], /no PEM certificate/)
})
