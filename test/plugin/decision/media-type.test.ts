// Unit tests for the media type helpers (RFC 9110 §8.3.1, §12.5.1).
import t from 'tap'
import { isMediaRange, matchesAny, mediaTypeOf, parseMediaRanges, type MediaRange } from '../../../plugin/decision/media-type'

const mt = (type: string, subtype: string): MediaRange => ({ type, subtype })

t.test('mediaTypeOf: valid values give the lower-cased type/subtype', async (t) => {
  const cases: Array<[string, MediaRange]> = [
    ['image/png', mt('image', 'png')],
    ['IMAGE/PNG', mt('image', 'png')],
    ['Application/JSON', mt('application', 'json')],
    ['application/vnd.api+json', mt('application', 'vnd.api+json')],
    ['application/x-www-form-urlencoded', mt('application', 'x-www-form-urlencoded')],
    ["a!#$%&'*+-.^_`|~0/z!#$%&'*+-.^_`|~9", mt("a!#$%&'*+-.^_`|~0", "z!#$%&'*+-.^_`|~9")],
    // Ranges are syntactically media types too.
    ['*/*', mt('*', '*')],
    ['image/*', mt('image', '*')],
    ['*/png', mt('*', 'png')],
    // Parameters are ignored, whatever they hold.
    ['text/plain; charset=utf-8', mt('text', 'plain')],
    ['text/plain;charset=UTF-8', mt('text', 'plain')],
    ['text/plain ; charset=utf-8', mt('text', 'plain')],
    ['multipart/form-data; boundary="a;b,c"', mt('multipart', 'form-data')],
    ['text/plain; garbage ??? ;;;', mt('text', 'plain')],
    ['text/plain;', mt('text', 'plain')],
    // Surrounding whitespace.
    [' text/plain ', mt('text', 'plain')],
    ['\ttext/plain\t', mt('text', 'plain')],
    ['  Text/HTML  ;q=1', mt('text', 'html')]
  ]
  for (const [value, expected] of cases) {
    t.same(mediaTypeOf(value), expected, JSON.stringify(value))
  }
})

t.test('mediaTypeOf: invalid values give undefined', async (t) => {
  const cases: string[] = [
    '',
    ' ',
    'text',
    'textplain',
    '/',
    'text/',
    '/plain',
    '//',
    'text//plain',
    'text/plain/extra',
    'te xt/plain',
    'text/pl ain',
    'text /plain',
    'text/ plain',
    't\u00ebxt/plain',
    'text/pl\u00e4in',
    'text/plain\u0000',
    '\u0000text/plain',
    'text/plain,application/json',
    'text/plain, text/html',
    '"text"/plain',
    'text/"plain"',
    '(text)/plain',
    'text/plain@',
    'text/[plain]',
    'text\\/plain',
    '; text/plain',
    ';charset=utf-8',
    'nonsense',
    '*',
    '\u{1f600}/png'
  ]
  for (const value of cases) {
    t.equal(mediaTypeOf(value), undefined, JSON.stringify(value))
  }
})

t.test('isMediaRange', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['image/png', true],
    ['IMAGE/PNG', true],
    ['image/*', true],
    ['*/*', true],
    ['application/json; charset=utf-8', true],
    ['image/*; q=0.5', true],
    ['*/*;q=1', true],
    // `*/subtype` is not a range (RFC 9110 §12.5.1).
    ['*/png', false],
    ['*/PNG', false],
    ['nope', false],
    ['', false],
    ['*', false],
    ['image/', false],
    ['/png', false],
    ['image/png/x', false],
    ['image /png', false],
    ['im\u00e4ge/png', false]
  ]
  for (const [value, expected] of cases) {
    t.equal(isMediaRange(value), expected, JSON.stringify(value))
  }
})

t.test('parseMediaRanges maps each value to its essence', async (t) => {
  t.same(parseMediaRanges([]), [])
  t.same(parseMediaRanges(['image/*', 'TEXT/Plain; charset=utf-8', '*/*']), [
    mt('image', '*'), mt('text', 'plain'), mt('*', '*')
  ])
})

t.test('matchesAny', async (t) => {
  const png = mt('image', 'png')
  const json = mt('application', 'json')
  const cases: Array<[string, MediaRange, MediaRange[], boolean]> = [
    ['no ranges', png, [], false],
    ['*/* matches anything', png, [mt('*', '*')], true],
    ['*/* matches json', json, [mt('*', '*')], true],
    ['type/* matches the type', png, [mt('image', '*')], true],
    ['type/* does not match another type', json, [mt('image', '*')], false],
    ['exact match', png, [mt('image', 'png')], true],
    ['different subtype', png, [mt('image', 'jpeg')], false],
    ['different type, same subtype', png, [mt('video', 'png')], false],
    ['one of several', json, [mt('image', '*'), mt('text', 'plain'), mt('application', 'json')], true],
    ['none of several', json, [mt('image', '*'), mt('text', 'plain'), mt('application', 'xml')], false],
    ['subtype is not a prefix match', mt('application', 'json-seq'), [mt('application', 'json')], false],
    ['structured suffix is not special', mt('application', 'vnd.api+json'), [mt('application', 'json')], false],
    ['type is not a prefix match', mt('images', 'png'), [mt('image', '*')], false],
    ['*/subtype (not a valid range) matches on the subtype', png, [mt('*', 'png')], true],
    ['*/subtype (not a valid range) on another subtype', mt('image', 'gif'), [mt('*', 'png')], false]
  ]
  for (const [name, media, ranges, expected] of cases) {
    t.equal(matchesAny(media, ranges), expected, name)
  }
})

t.test('end to end: a Content-Type value against ranges from config', async (t) => {
  const ranges = parseMediaRanges(['image/*', 'application/json'])
  const cases: Array<[string, boolean]> = [
    ['image/png', true],
    ['IMAGE/WebP; q=1', true],
    ['application/json; charset=utf-8', true],
    ['Application/Json', true],
    ['application/xml', false],
    ['text/plain', false]
  ]
  for (const [value, expected] of cases) {
    const media = mediaTypeOf(value)
    t.not(media, undefined, JSON.stringify(value))
    if (media !== undefined) t.equal(matchesAny(media, ranges), expected, JSON.stringify(value))
  }
})
