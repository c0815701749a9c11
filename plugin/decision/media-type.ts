// Media types and ranges (RFC 9110 §8.3.1, §12.5.1), reduced to what deciding
// needs: the lower-cased `type/subtype` essence; parameters never matter here.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

export interface MediaRange {
  readonly type: string
  readonly subtype: string
}

/** `type/subtype` of a Content-Type value, lower-cased, or undefined when it is not one. */
export function mediaTypeOf (value: string): MediaRange | undefined {
  const semicolon = value.indexOf(';')
  const essence = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase()
  const slash = essence.indexOf('/')
  if (slash === -1) return undefined
  const type = essence.slice(0, slash)
  const subtype = essence.slice(slash + 1)
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return undefined
  return { type, subtype }
}

export function isMediaRange (value: string): boolean {
  const range = mediaTypeOf(value)
  return range !== undefined && !(range.type === '*' && range.subtype !== '*')
}

export function parseMediaRanges (values: readonly string[]): MediaRange[] {
  return values.map((value) => mediaTypeOf(value) as MediaRange)
}

/** Whether a concrete media type falls in one of the ranges (`*\/*`, `image/*`, `image/png`). */
export function matchesAny (media: MediaRange, ranges: readonly MediaRange[]): boolean {
  return ranges.some((range) =>
    (range.type === '*' || range.type === media.type) &&
    (range.subtype === '*' || range.subtype === media.subtype))
}
