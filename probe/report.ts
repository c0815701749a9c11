// The probe's result as text for a person (the CLI's default output). Every string that did not
// come from the probe itself goes through visible(): one report line per line the probe writes,
// no control character reaches the terminal, and every value is cut, so the report stays small
// whatever the server sends.
import type { ProbeResult } from './probe'
import type { ProbeError } from './errors'
import { visible } from './escape'

/** Response headers worth showing (all are in the --json output). */
const SHOWN = ['content-type', 'content-length', 'transfer-encoding', 'connection', 'server', 'via', 'www-authenticate', 'retry-after', 'location']
const EXCERPT_CHARS = 300
const FIELD_CHARS = 300
const REASON_CHARS = 100

export function formatReport (result: ProbeResult, advice: readonly string[]): string {
  const lines: string[] = []
  lines.push(`${result.method} ${visible(result.url, 2000)}`)
  // The head as written (secrets masked), one field after the other.
  const fields = result.requestHead.split('\r\n').slice(1).filter((line) => line !== '')
  lines.push(`  sent: ${visible(fields.join(' | '))}`)
  if (result.connectMs !== undefined) lines.push(`  connected in ${result.connectMs} ms; head sent (${result.headBytes} bytes), waited up to ${result.timeoutMs} ms in all`)
  for (const info of result.informational) lines.push(`  <- ${info.status} ${visible(info.statusText, REASON_CHARS)} after ${info.ms} ms (informational)`)
  if (result.informationalNotShown > 0) lines.push(`  <- and ${result.informationalNotShown} more informational responses, not listed`)
  const response = result.response
  switch (result.outcome) {
    case 'continue':
      lines.push(`Result: 100 Continue after ${result.answerMs as number} ms (body not sent: ${result.bodyBytesSent} bytes)`)
      break
    case 'final':
    case 'expectation-failed': {
      const r = response as NonNullable<ProbeResult['response']>
      lines.push(`Result: HTTP/${r.httpVersion} ${r.status} ${visible(r.statusText, REASON_CHARS)} after ${result.answerMs as number} ms, before the body (${result.bodyBytesSent} body bytes sent)`)
      for (const name of SHOWN) {
        const value = r.headers[name]
        if (value !== undefined) lines.push(`  ${name}: ${visible(value, FIELD_CHARS)}`)
      }
      const start = r.bodyComplete ? '' : result.deadlineReached ? ' (start; the deadline came first)' : ' (start)'
      if (r.bodyExcerpt !== '') lines.push(`  body${start}: ${visible(r.bodyExcerpt, EXCERPT_CHARS)}`)
      break
    }
    case 'no-answer':
      lines.push(`Result: no answer within ${result.timeoutMs} ms (body not sent)`)
      break
    case 'connection-error':
      lines.push(`Result: connection error: ${visible((result.error as ProbeError).message, 1000)}`)
      break
  }
  lines.push('Advice:')
  for (const line of advice) lines.push(`  - ${visible(line, 2000)}`)
  return `${lines.join('\n')}\n`
}
