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
  t.throws(() => parseHeader('Authorization Bearer hunter2'), { message: /^bad --header: no colon in it; expected 'Name: value' \(its text is not repeated here/ },
    'a header without a colon is not echoed (it may be a credential)')
  t.throws(() => parseHeader(': value'), { message: /valid field name/ })
  t.throws(() => parseHeader('Bad Name: value'), { message: /valid field name/ })
  t.throws(() => parseHeader('X\x1b[2J: value'), { message: /^bad --header "X\\x1b\[2J": not a valid field name/ }, 'an invalid name is echoed escaped')
  t.throws(() => parseHeader('X: a\r\nInjected: yes'), { message: /^bad --header "X": its value may hold only printable ASCII, spaces and tabs; character 2 is U\+000D/ })
  t.throws(() => parseHeader('X: a\0'), { message: /character 2 is U\+0000/ })
  t.throws(() => parseHeader('X: \x7f'), { message: /character 1 is U\+007F/ })
  // Finding 10: latin1 keeps the low byte of each character, so these would have become CR and LF on the wire.
  t.throws(() => parseHeader('X-A: v\u010d\u010aGET /smuggled HTTP/1.1'), { message: /character 2 is U\+010D \(encode it first/ })
  t.throws(() => parseHeader('X-A: caf\u00e9'), { message: /character 4 is U\+00E9/ }, 'latin1 letters too: not printable ASCII')
  t.throws(() => parseHeader('X-A: \u{1f600}'), { message: /character 1 is U\+1F600/ })
  t.same(parseHeader('X-A: a\tb ~!'), ['X-A', 'a\tb ~!'], 'tabs, spaces and every visible ASCII character pass')
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
  // No password echoed: the userinfo is masked whatever else is wrong with the URL.
  usageError(t, ['probe', 'http://user:hunter2@h/'], /^bad URL "http:\/\/\*\*\*@h\/": pass credentials with --header/)
  usageError(t, ['probe', 'ftp://user:hunter2@h/'], /^bad URL "ftp:\/\/\*\*\*@h\/": only http/)
  usageError(t, ['probe', 'http://user:hunter2@[oops/'], /^bad URL "http:\/\/\*\*\*@\[oops\/": expected an absolute/)
  usageError(t, ['probe', 'https://ghp_token@h/'], /^bad URL "https:\/\/\*\*\*@h\/"/)
  usageError(t, ['probe', 'http://h/', 'http://u:hunter2@b/'], /^unexpected argument "http:\/\/\*\*\*@b\/"/)
  usageError(t, ['probe', 'http://h/', '--method', 'P U T'], /bad --method/)
  usageError(t, ['probe', 'http://h/', '--size', 'big'], /bad --size "big"/)
  usageError(t, ['probe', 'http://h/', '--timeout', '0'], /bad --timeout "0"/)
  usageError(t, ['probe', 'http://h/', '--timeout', '1.5'], /bad --timeout/)
  usageError(t, ['probe', 'http://h/', '--timeout', '600001'], /bad --timeout/)
  // parseArgs' messages in the probe's own words.
  usageError(t, ['probe', 'http://h/', '--verbose'], /^unknown option "--verbose"$/)
  usageError(t, ['probe', 'http://h/', '-q'], /^unknown option "-q"$/)
  usageError(t, ['probe', 'http://h/', '--size'], /^--size needs a value \(e\.g\. --size 10M\)$/)
  usageError(t, ['probe', 'http://h/', '-t', '--json'], /^--timeout needs a value/)
  usageError(t, ['probe', 'http://h/', '--json=yes'], /^--json takes no value$/)
  // Issue 19: a negative size gets its own message, however it is written.
  for (const argv of [['--size', '-5'], ['-s', '-5'], ['--size=-5'], ['-s', '-5K']]) {
    usageError(t, ['probe', 'http://h/', ...argv], /^bad --size "-5K?": a size cannot be negative \(0 or more bytes, e\.g\. 10M\)$/)
  }
  usageError(t, ['probe', 'http://h/', '--timeout', '-5'], /^bad --timeout "-5": expected a whole number of milliseconds/)
  usageError(t, ['probe', 'http://h/', '-H', '-x'], /^bad --header: no colon/)
})

t.test('--cacert', async (t) => {
  const dir = t.testdir({ 'ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'notes.txt': 'hello' })
  t.match(args(['probe', 'https://h/', '--cacert', `${dir}/ca.pem`]).ca, /BEGIN CERTIFICATE/)
  usageError(t, ['probe', 'https://h/', '--cacert', `${dir}/missing.pem`], /bad --cacert .*ENOENT/)
  usageError(t, ['probe', 'https://h/', '--cacert', `${dir}/notes.txt`], /no PEM certificate/)
})
