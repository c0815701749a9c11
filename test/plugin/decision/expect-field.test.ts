// Unit tests for the Expect field parser (RFC 9110 §10.1.1, list syntax
// §5.6.1, tokens §5.6.2, quoted strings §5.6.4).
import t from 'tap'
import { parseExpect, type ExpectField } from '../../../plugin/decision/expect-field'

type Input = string | readonly string[] | undefined

const show = (value: Input): string => JSON.stringify(value)?.slice(0, 80) ?? 'undefined'

// tchar, written out independently of the module under test (RFC 9110 §5.6.2).
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const isTchar = (code: number): boolean => code < 128 && TCHARS.includes(String.fromCharCode(code))
// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
const isQdtext = (code: number): boolean =>
  code === 0x09 || code === 0x20 || code === 0x21 ||
  (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e) || (code >= 0x80 && code <= 0xff)
// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
const isQuotedPairChar = (code: number): boolean =>
  code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff)

t.test('nothing expected: kind none', async (t) => {
  const cases: Input[] = [
    undefined,
    '',
    ' ',
    '\t',
    ' \t \t',
    ',',
    ',,,',
    ' , ,\t,, ',
    [],
    [''],
    ['', ''],
    [',', ' , '],
    ','.repeat(8192)
  ]
  for (const value of cases) {
    t.same(parseExpect(value), { kind: 'none' }, show(value))
  }
})

t.test('100-continue alone or repeated: kind continue', async (t) => {
  const cases: Input[] = [
    '100-continue',
    '100-Continue',
    '100-CONTINUE',
    '100-cOnTiNuE',
    '100-continue, 100-continue',
    '100-continue,100-continue',
    '100-continue,100-CONTINUE,100-Continue',
    ' 100-continue',
    '100-continue ',
    '\t100-continue\t',
    ' \t 100-continue \t ',
    ',100-continue',
    '100-continue,',
    ', ,100-continue , ,',
    '100-continue\t,\t100-continue',
    ['100-continue'],
    ['100-continue', '100-continue'],
    ['100-continue', ''],
    ['', '100-continue', ','],
    ['100-Continue', ' 100-continue '],
    ','.repeat(8192) + '100-continue' + ','.repeat(8192),
    '100-continue,'.repeat(700)
  ]
  for (const value of cases) {
    t.same(parseExpect(value), { kind: 'continue' }, show(value))
  }
})

t.test('well-formed but not a bare 100-continue: kind unsupported, elements lower-cased as written', async (t) => {
  const cases: Array<[Input, string[]]> = [
    ['foo', ['foo']],
    ['FOO', ['foo']],
    ['100-continue, foo', ['foo']],
    ['foo, 100-continue', ['foo']],
    ['100-continue,foo,100-continue', ['foo']],
    ['foo, bar', ['foo', 'bar']],
    ['foo, foo', ['foo', 'foo']],
    ['100', ['100']],
    ['continue', ['continue']],
    ['100-continuex', ['100-continuex']],
    ['102-processing', ['102-processing']],
    // Every tchar is allowed in a token.
    [TCHARS, [TCHARS.toLowerCase()]],
    // A value turns 100-continue into something else.
    ['100-continue=1', ['100-continue=1']],
    ['100-continue=""', ['100-continue=""']],
    ['100-continue="x"', ['100-continue="x"']],
    ['100-continue=1;a=b', ['100-continue=1;a=b']],
    ['foo=bar', ['foo=bar']],
    ['Foo=BAR', ['foo=bar']],
    // A quoted string is one value: commas, semicolons and spaces inside do not split the list.
    ['x="a,b"', ['x="a,b"']],
    ['x="a, b", 100-continue', ['x="a, b"']],
    ['x="a;b=c"', ['x="a;b=c"']],
    ['x=" \t!#[]~"', ['x=" \t!#[]~"']],
    ['x="\\"", y', ['x="\\""', 'y']],
    ['x="\\\\"', ['x="\\\\"']],
    ['x="a\\,b"', ['x="a\\,b"']],
    ['x="\u00e9\u00ff\u0080"', ['x="\u00e9\u00ff\u0080"']],
    ['x="\\\u00ff"', ['x="\\\u00ff"']],
    ['x="\\\t"', ['x="\\\t"']],
    // Parameters follow a value: OWS ";" OWS [ parameter ].
    ['foo=bar;a=b', ['foo=bar;a=b']],
    ['foo=bar; a=b', ['foo=bar; a=b']],
    ['foo=bar ; a=b', ['foo=bar ; a=b']],
    ['foo=bar\t;\ta=b', ['foo=bar\t;\ta=b']],
    ['foo=bar;a=b;c=d', ['foo=bar;a=b;c=d']],
    ['foo=bar;a="x,y;z"', ['foo=bar;a="x,y;z"']],
    ['foo="v";a="1", bar=2;b="q"', ['foo="v";a="1"', 'bar=2;b="q"']],
    ['foo=bar;', ['foo=bar;']],
    ['foo=bar;;', ['foo=bar;;']],
    ['foo=bar; ;a=b', ['foo=bar; ;a=b']],
    ['foo=bar;a=b ', ['foo=bar;a=b']],
    ['foo=bar ;', ['foo=bar ;']],
    ['foo=bar ,baz', ['foo=bar', 'baz']],
    ['foo=bar;A=B', ['foo=bar;a=b']],
    // Several field lines, as Node joins them.
    [['100-continue', 'foo'], ['foo']],
    [['foo', 'bar=1;x="y"'], ['foo', 'bar=1;x="y"']],
    [['x="a,b"', '100-continue'], ['x="a,b"']]
  ]
  for (const [value, expectations] of cases) {
    t.same(parseExpect(value), { kind: 'unsupported', expectations }, show(value))
  }
})

t.test('not valid field syntax: kind malformed', async (t) => {
  const cases: Input[] = [
    // Outside tchar / OWS / comma.
    '100-cont\u00efnue',
    '100-continue\u00e9',
    '\u00e9',
    '100-continue\u0000',
    '\u0000100-continue',
    '100-continue\r\n',
    '100-continue\n',
    '100-con\rtinue',
    '100-continue\u007f',
    '100-continue\u0100',
    '100-continue\u{1f600}',
    // Whitespace inside an element.
    'a b',
    '100 continue',
    '100-continue foo',
    'foo =bar',
    'foo= bar',
    'foo = bar',
    // Not a token where one is needed.
    '"quoted"',
    '"100-continue"',
    '=',
    '=foo',
    ', =foo',
    'foo, =',
    ';a=b',
    '(comment)',
    '100-continue/1',
    '@',
    // Parameters without a value before them (the grammar only allows them after "=" value).
    '100-continue;a=b',
    '100-continue; a=b',
    '100-continue;',
    'foo;bar',
    // A value that is neither a token nor a quoted string.
    'foo=',
    'foo=,bar',
    'foo=;a=b',
    'foo=(x)',
    'foo==bar',
    'foo=bar=baz',
    'foo=bar"baz"',
    'foo="bar"baz',
    'foo="a""b"',
    // Unterminated quoted strings.
    'x="abc',
    'x="',
    'x="a,b',
    'x="abc\\"',
    'x="\\',
    // Invalid characters or escapes in a quoted string.
    'x="a\u0000b"',
    'x="a\nb"',
    'x="a\u007fb"',
    'x="a\u0100b"',
    'x="\\\u0000"',
    'x="\\\n"',
    'x="\\\u007f"',
    'x="\\\u0100"',
    // Broken parameters.
    'foo=bar;a',
    'foo=bar;a;',
    'foo=bar;a=',
    'foo=bar;a =b',
    'foo=bar;a= b',
    'foo=bar;a="b',
    'foo=bar;a=b=c',
    'foo=bar;="x"',
    'foo=bar;a=(b)',
    // One bad line spoils the field.
    ['100-continue', 'a b'],
    ['100-continue', '"x"'],
    ['x="a'],
    ['x="a', 'b']
  ]
  for (const value of cases) {
    const result = parseExpect(value)
    t.equal(result.kind, 'malformed', show(value))
    if (result.kind === 'malformed') t.type(result.reason, 'string')
  }
})

t.test('malformed results report where parsing stopped', async (t) => {
  const cases: Array<[string, string]> = [
    ['a b', 'unexpected character at offset 2'],
    ['100-continue\u0000', 'unexpected character at offset 12'],
    ['100-cont\u00efnue', 'unexpected character at offset 8'],
    ['100-continue;a=b', 'unexpected character at offset 12'],
    ['=x', 'expected a token at offset 0'],
    ['"quoted"', 'expected a token at offset 0'],
    ['foo, , =', 'expected a token at offset 7'],
    ['foo=', 'expected a token or quoted string after "=" at offset 4'],
    ['foo=(', 'expected a token or quoted string after "=" at offset 4'],
    ['x="abc', 'expected a token or quoted string after "=" at offset 6'],
    ['x="a\u0000"', 'expected a token or quoted string after "=" at offset 4'],
    ['x="\\\u0000"', 'expected a token or quoted string after "=" at offset 3'],
    ['foo=bar;a', 'expected "=" in parameter at offset 9'],
    ['foo=bar; a b', 'expected "=" in parameter at offset 10'],
    ['foo=bar;a=', 'expected a parameter value at offset 10'],
    ['foo=bar;a="b', 'expected a parameter value at offset 12']
  ]
  for (const [value, reason] of cases) {
    t.same(parseExpect(value), { kind: 'malformed', reason }, show(value))
  }
})

t.test('every single byte 0x00-0xff as the whole field', async (t) => {
  for (let code = 0; code <= 0xff; code++) {
    const char = String.fromCharCode(code)
    let expected: ExpectField
    if (isTchar(code)) expected = { kind: 'unsupported', expectations: [char.toLowerCase()] }
    else if (code === 0x20 || code === 0x09 || code === 0x2c) expected = { kind: 'none' }
    else expected = { kind: 'malformed', reason: 'expected a token at offset 0' }
    t.same(parseExpect(char), expected, `byte 0x${code.toString(16)}`)
  }
})

t.test('every single byte 0x00-0xff after 100-continue', async (t) => {
  for (let code = 0; code <= 0xff; code++) {
    const value = '100-continue' + String.fromCharCode(code)
    const result = parseExpect(value)
    if (isTchar(code)) {
      t.same(result, { kind: 'unsupported', expectations: [value.toLowerCase()] }, `byte 0x${code.toString(16)}`)
    } else if (code === 0x20 || code === 0x09 || code === 0x2c) {
      t.same(result, { kind: 'continue' }, `byte 0x${code.toString(16)}`)
    } else if (code === 0x3d /* = */) {
      t.equal(result.kind, 'malformed', 'byte 0x3d (a value must follow "=")')
    } else {
      t.same(result, { kind: 'malformed', reason: 'unexpected character at offset 12' }, `byte 0x${code.toString(16)}`)
    }
  }
})

t.test('every single byte 0x00-0xff inside a quoted string and as a quoted pair', async (t) => {
  for (let code = 0; code <= 0xff; code++) {
    const char = String.fromCharCode(code)
    const quoted = `x="${char}"`
    if (isQdtext(code)) {
      t.same(parseExpect(quoted), { kind: 'unsupported', expectations: [quoted.toLowerCase()] }, `qdtext 0x${code.toString(16)}`)
    } else {
      // `"`, `\` and controls: `x="""` has a stray quote, `x="\"` is unterminated.
      t.equal(parseExpect(quoted).kind, 'malformed', `qdtext 0x${code.toString(16)}`)
    }
    const pair = `x="\\${char}"`
    if (isQuotedPairChar(code)) {
      t.same(parseExpect(pair), { kind: 'unsupported', expectations: [pair.toLowerCase()] }, `quoted-pair 0x${code.toString(16)}`)
    } else {
      t.equal(parseExpect(pair).kind, 'malformed', `quoted-pair 0x${code.toString(16)}`)
    }
  }
})

t.test('all bytes 0x00-0xff at once', async (t) => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1')
  t.equal(all.length, 256)
  t.same(parseExpect(all), { kind: 'malformed', reason: 'expected a token at offset 0' })
  t.equal(parseExpect('100-continue, ' + all).kind, 'malformed')
  t.equal(parseExpect(['100-continue', all]).kind, 'malformed')
  const reversed = [...all].reverse().join('')
  t.equal(parseExpect(reversed).kind, 'malformed')
  // Only the printable tchar run, then the first non-tchar: malformed at that offset.
  t.equal(parseExpect('x="' + all.slice(0x20) + '"').kind, 'malformed', 'a quoted string cannot hold a bare " or DEL')
})

t.test('hostile sizes (8 KiB and more) are parsed in one pass', async (t) => {
  // 8 KiB of tokens: 2048 elements.
  const tokens = 'abc,'.repeat(2048)
  t.equal(tokens.length, 8192)
  const many = parseExpect(tokens)
  t.equal(many.kind, 'unsupported')
  if (many.kind === 'unsupported') {
    t.equal(many.expectations.length, 2048)
    t.ok(many.expectations.every((e) => e === 'abc'))
  }

  const thousand = Array.from({ length: 1000 }, () => 'abc').join(', ')
  const parsedThousand = parseExpect(thousand)
  t.equal(parsedThousand.kind, 'unsupported')
  if (parsedThousand.kind === 'unsupported') t.equal(parsedThousand.expectations.length, 1000)

  // One 8 KiB token.
  const long = 'a'.repeat(8192)
  t.same(parseExpect(long), { kind: 'unsupported', expectations: [long] })
  t.same(parseExpect('100-continue' + 'x'.repeat(8192)), { kind: 'unsupported', expectations: ['100-continue' + 'x'.repeat(8192)] })

  // 8 KiB of commas and whitespace.
  t.same(parseExpect(','.repeat(8192)), { kind: 'none' })
  t.same(parseExpect(', \t'.repeat(8192)), { kind: 'none' })
  t.same(parseExpect(' '.repeat(8192) + '100-continue' + '\t'.repeat(8192)), { kind: 'continue' })
  t.same(parseExpect(','.repeat(8192) + 'a b'), { kind: 'malformed', reason: 'unexpected character at offset 8194' })

  // 8 KiB of tokens separated by spaces: malformed at the first space, whatever follows.
  t.same(parseExpect('abc '.repeat(2048)), { kind: 'malformed', reason: 'unexpected character at offset 4' })

  // 100-continue repeated 8 KiB worth.
  t.same(parseExpect('100-continue, '.repeat(600)), { kind: 'continue' })

  // Huge quoted strings.
  const bigQuoted = `x="${'a,b; '.repeat(16384)}"`
  t.same(parseExpect(bigQuoted), { kind: 'unsupported', expectations: [bigQuoted] })
  const escapes = `x="${'\\"'.repeat(8192)}"`
  t.same(parseExpect(escapes), { kind: 'unsupported', expectations: [escapes] })
  t.equal(parseExpect(`x="${'a'.repeat(65536)}`).kind, 'malformed', 'unterminated huge quoted string')
  t.equal(parseExpect(`x="${'\\'.repeat(8191)}"`).kind, 'malformed', 'odd run of backslashes escapes the closing quote')
  t.equal(parseExpect(`x="${'"'.repeat(8192)}"`).kind, 'malformed')

  // Many parameters, many empty parameters.
  const params = 'foo=bar' + ';a=b'.repeat(2048)
  t.same(parseExpect(params), { kind: 'unsupported', expectations: [params] })
  const empties = 'foo=bar' + ' ; '.repeat(4096)
  const parsedEmpties = parseExpect(empties)
  t.equal(parsedEmpties.kind, 'unsupported')
  if (parsedEmpties.kind === 'unsupported') {
    t.equal(parsedEmpties.expectations.length, 1, 'empty parameters do not split the element')
    t.equal(parsedEmpties.expectations[0]?.trimEnd(), empties.trimEnd())
  }
  t.equal(parseExpect('foo=bar' + ';'.repeat(8192) + 'a').kind, 'malformed')

  // 8 KiB of every byte value.
  const binary = Buffer.from(Array.from({ length: 8192 }, (_, i) => i % 256)).toString('latin1')
  t.equal(parseExpect(binary).kind, 'malformed')
  const binaryTail = Buffer.from(Array.from({ length: 8192 }, (_, i) => 255 - (i % 256))).toString('latin1')
  t.equal(parseExpect(binaryTail).kind, 'malformed')

  // Arrays of many field lines.
  t.same(parseExpect(Array.from({ length: 2048 }, () => '100-continue')), { kind: 'continue' })
  const lines = parseExpect(Array.from({ length: 2048 }, (_, i) => i % 2 === 0 ? '100-continue' : 'x'))
  t.equal(lines.kind, 'unsupported')
  if (lines.kind === 'unsupported') t.equal(lines.expectations.length, 1024)
})

t.test('results for none and continue are shared frozen objects', async (t) => {
  const none = parseExpect(undefined)
  t.equal(parseExpect(''), none)
  t.ok(Object.isFrozen(none))
  const cont = parseExpect('100-continue')
  t.equal(parseExpect('100-Continue, 100-continue'), cont)
  t.ok(Object.isFrozen(cont))
})

t.test('the input array is not modified', async (t) => {
  const lines = Object.freeze(['100-continue', 'foo'])
  t.same(parseExpect(lines), { kind: 'unsupported', expectations: ['foo'] })
  t.same(lines, ['100-continue', 'foo'])
})
