// Parsing the Expect field (RFC 9110 §10.1.1, list syntax §5.6.1, tokens and
// quoted strings §5.6.2 and §5.6.4).
//
//   Expect      = #expectation
//   expectation = token [ "=" ( token / quoted-string ) parameters ]
//   parameters  = *( OWS ";" OWS [ parameter ] )
//
// The only defined expectation is `100-continue`, with no value and no
// parameters; anything else is an expectation this server does not meet.

export type ExpectField =
  /** No field, or a list with no elements (`Expect: ,`): nothing is expected. */
  | { readonly kind: 'none' }
  /** Only `100-continue`, once or repeated. */
  | { readonly kind: 'continue' }
  /** Well-formed, but lists something other than a bare `100-continue`. */
  | { readonly kind: 'unsupported', readonly expectations: readonly string[] }
  /** Not valid field syntax. */
  | { readonly kind: 'malformed', readonly reason: string }

const NONE: ExpectField = Object.freeze({ kind: 'none' })
const CONTINUE: ExpectField = Object.freeze({ kind: 'continue' })

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1

const isTchar = (code: number): boolean => code < 128 && TCHAR[code] === 1
const isOws = (code: number): boolean => code === 0x20 || code === 0x09

/** Parses the Expect field as Node hands it over (repeated lines arrive joined with ", "). */
export function parseExpect (value: string | readonly string[] | undefined): ExpectField {
  if (value === undefined) return NONE
  // What clients send: the one expectation, spelled as the RFC spells it.
  if (value === '100-continue') return CONTINUE
  const text = typeof value === 'string' ? value : value.join(', ')
  const parser = new ListParser(text)
  const others: string[] = []
  let sawContinue = false
  for (;;) {
    const element = parser.nextElement()
    if (element === undefined) break
    if (typeof element === 'object') return { kind: 'malformed', reason: element.error }
    if (element === '100-continue') sawContinue = true
    else others.push(element)
  }
  if (others.length > 0) return { kind: 'unsupported', expectations: others }
  return sawContinue ? CONTINUE : NONE
}

/**
 * Walks the list one element at a time. An element comes back lower-cased as
 * written (token, `=value` and parameters included), so `100-continue` only
 * matches the bare expectation.
 */
class ListParser {
  private pos = 0
  constructor (private readonly text: string) {}

  nextElement (): string | { error: string } | undefined {
    const { text } = this
    // Empty list elements are allowed and skipped (RFC 9110 §5.6.1.2).
    while (this.pos < text.length && (isOws(text.charCodeAt(this.pos)) || text.charCodeAt(this.pos) === 0x2c)) this.pos++
    if (this.pos >= text.length) return undefined

    const start = this.pos
    const name = this.token()
    if (name === '') return { error: `expected a token at offset ${this.pos}` }
    if (this.peek() === 0x3d /* = */) {
      this.pos++
      if (!this.value()) return { error: `expected a token or quoted string after "=" at offset ${this.pos}` }
      // parameters = *( OWS ";" OWS [ parameter ] )
      for (;;) {
        const save = this.pos
        this.ows()
        if (this.peek() !== 0x3b /* ; */) { this.pos = save; break }
        this.pos++
        this.ows()
        if (this.token() === '') continue // an empty parameter is allowed
        if (this.peek() !== 0x3d) return { error: `expected "=" in parameter at offset ${this.pos}` }
        this.pos++
        if (!this.value()) return { error: `expected a parameter value at offset ${this.pos}` }
      }
    }
    const element = text.slice(start, this.pos).toLowerCase()
    this.ows()
    if (this.pos < text.length && text.charCodeAt(this.pos) !== 0x2c) {
      return { error: `unexpected character at offset ${this.pos}` }
    }
    return element
  }

  private peek (): number { return this.text.charCodeAt(this.pos) }

  private ows (): void {
    while (this.pos < this.text.length && isOws(this.text.charCodeAt(this.pos))) this.pos++
  }

  private token (): string {
    const start = this.pos
    while (this.pos < this.text.length && isTchar(this.text.charCodeAt(this.pos))) this.pos++
    return this.text.slice(start, this.pos)
  }

  /** token / quoted-string; quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
  private value (): boolean {
    if (this.peek() !== 0x22 /* " */) return this.token() !== ''
    this.pos++
    while (this.pos < this.text.length) {
      const code = this.text.charCodeAt(this.pos)
      if (code === 0x22) { this.pos++; return true }
      if (code === 0x5c /* \ */) {
        const next = this.text.charCodeAt(this.pos + 1)
        if (!(next === 0x09 || (next >= 0x20 && next <= 0x7e) || (next >= 0x80 && next <= 0xff))) return false
        this.pos += 2
        continue
      }
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
      if (!(code === 0x09 || code === 0x20 || code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff))) return false
      this.pos++
    }
    return false
  }
}
