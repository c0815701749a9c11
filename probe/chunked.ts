// Decodes as much of a chunked response body as has arrived, for the probe's excerpt.

/** The data of the complete chunks in `raw`, and whether the last (zero-size) chunk was seen. */
export function decodeChunked (raw: Buffer): { body: Buffer, complete: boolean } {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0] as string, 16)
    if (Number.isNaN(size)) break
    if (size === 0) return { body: Buffer.concat(parts), complete: true }
    const dataStart = lineEnd + 2
    // A chunk still arriving: keep what is there, for the excerpt.
    parts.push(raw.subarray(dataStart, dataStart + size))
    if (raw.length < dataStart + size + 2) break
    at = dataStart + size + 2
  }
  return { body: Buffer.concat(parts), complete: false }
}
