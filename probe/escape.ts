// Text the probe did not write itself (from the server, or echoed from the command line) made
// safe for a terminal: a server is free to send ESC sequences, C1 controls (\x9b is a one-byte
// CSI), bidi overrides or a bare LF that would forge a line of the report. Every such character
// becomes a visible escape, so what is printed is one line, and shows what was received.

/**
 * C0 controls, DEL, C1 controls, the bidi and line-separator format characters, and the BOM:
 * what a terminal may act on or a reader may be misled by.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it matches
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g
const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' }

function escapeOne (c: string): string {
  const named = NAMED[c]
  if (named !== undefined) return named
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/** One line of safe text: unsafe characters escaped, cut to `max` characters (before escaping) with "...". */
export function visible (text: string, max = Infinity): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text
  return cut.replace(UNSAFE, escapeOne)
}

/**
 * JSON whose text is printable ASCII (and the newlines of its indentation): every other character
 * inside a string is written as a \u escape. Parsing it gives back exactly the strings the probe
 * holds (nothing is lost), while `cat report.json` on a terminal shows no control character, and
 * no ESC or C1 sequence, which JSON's own escaping (C0 only) would let through.
 */
export function asciiJson (value: unknown): string {
  // Outside strings, JSON.stringify writes only printable ASCII and the indentation's newlines.
  return JSON.stringify(value, null, 2).replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A URL as typed, with its userinfo (user and password, if any) masked, for error messages: a
 * token is often passed as the user name alone (https://TOKEN@host/).
 */
export function maskCredentials (text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/*)[^/?#]*@/i, '$1***@')
}
