// The upstream target, computed and checked once, before anything is sent.
// A target is refused (400) unless it is in origin form ("/path?query") and stays
// inside the upstream's base path once decoded: no absolute or authority form,
// no "\" (which WHATWG URLs read as "/"), no dot-segment and no encoded "/" or "\"
// in any segment, decoded or not, no control character. Nothing is normalised
// silently: a path that the URL parser would rewrite is refused, so the path
// checked is the path sent. @fastify/reply-from refuses ".." segments after
// decoding; this is that, plus encoded slashes, "." segments and a leading "//".
import { FST_ERR_EXPECT_GATEWAY_TARGET } from './errors'

// Characters that never belong in a request target as a gateway forwards it.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0020\u007f-\uffff\\#]/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * The URL to send `target` (path and query, as received or as the app computed
 * it) to, on `upstream` (origin and optional base path). Throws
 * FST_ERR_EXPECT_GATEWAY_TARGET (400) when the target is refused.
 */
export function upstreamTarget (upstream: string | URL, target: string): URL {
  const base = new URL(upstream)
  const refuse = (why: string): never => { throw new FST_ERR_EXPECT_GATEWAY_TARGET(why) }
  if (!target.startsWith('/')) refuse('not a path: absolute, authority or asterisk form')
  if (target.startsWith('//')) refuse('a path starting with //')
  if (FORBIDDEN.test(target)) refuse('a character outside a path and query')
  const query = target.indexOf('?')
  const path = query === -1 ? target : target.slice(0, query)
  for (const segment of path.split('/')) {
    let decoded = ''
    try {
      decoded = decodeURIComponent(segment)
    } catch {
      refuse('a malformed percent-encoding')
    }
    if (decoded === '.' || decoded === '..') refuse('a dot-segment')
    if (decoded.includes('/') || decoded.includes('\\')) refuse('an encoded slash or backslash')
    if (CONTROL.test(decoded)) refuse('an encoded control character')
  }
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`
  if (basePath !== '/' && path !== basePath.slice(0, -1) && !path.startsWith(basePath)) refuse('outside the upstream\'s base path')
  const url = new URL(base.origin + target)
  // What the URL parser would rewrite ("<", "{", "%2e"...) is refused, not rewritten.
  if (url.origin !== base.origin || url.pathname !== path) refuse('a path the URL parser would rewrite')
  return url
}
