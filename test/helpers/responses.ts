// What came back on a raw connection, split into responses (1xx included), in order.
export interface ParsedResponse { status: number, headers: Record<string, string>, body: string }

/** The complete responses in `raw`, and what is left after them (a partial response, or bytes that are no response). */
export function parseResponses (raw: string): { responses: ParsedResponse[], rest: string } {
  const responses: ParsedResponse[] = []
  let rest = raw
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const status = Number((statusLine as string).split(' ')[1])
    const length = status < 200 ? 0 : Number(headers['content-length'] ?? 0)
    if (rest.length < end + 4 + length) break
    responses.push({ status, headers, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
  return { responses, rest }
}
