// The probe's result as text for a person (the CLI's default output).
import type { ProbeResult } from './probe'
import type { ProbeError } from './errors'

/** Response headers worth showing (all are in the --json output). */
const SHOWN = ['content-type', 'content-length', 'transfer-encoding', 'connection', 'server', 'via', 'www-authenticate', 'retry-after', 'location']
const EXCERPT_CHARS = 300

/** Control characters made visible, long text cut. */
function printable (text: string): string {
  const shown = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text
  // eslint-disable-next-line no-control-regex -- control characters are what it makes visible
  return shown.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

export function formatReport (result: ProbeResult, advice: readonly string[]): string {
  const lines: string[] = []
  lines.push(`${result.method} ${result.url}`)
  lines.push(`  sent: ${Object.entries(result.requestHeaders).map(([n, v]) => `${n}: ${v}`).join(' | ')}`)
  if (result.connectMs !== undefined) lines.push(`  connected in ${result.connectMs} ms; head sent (${result.headBytes} bytes), waited up to ${result.timeoutMs} ms`)
  for (const info of result.informational) lines.push(`  <- ${info.status} ${info.statusText} after ${info.ms} ms (informational)`)
  const response = result.response
  switch (result.outcome) {
    case 'continue':
      lines.push(`Result: 100 Continue after ${result.answerMs as number} ms (body not sent: ${result.bodyBytesSent} bytes)`)
      break
    case 'final':
    case 'expectation-failed': {
      const r = response as NonNullable<ProbeResult['response']>
      lines.push(`Result: HTTP/${r.httpVersion} ${r.status} ${r.statusText} after ${result.answerMs as number} ms, before the body (${result.bodyBytesSent} body bytes sent)`)
      for (const name of SHOWN) {
        const value = r.headers[name]
        if (value !== undefined) lines.push(`  ${name}: ${value}`)
      }
      if (r.bodyExcerpt !== '') lines.push(`  body${r.bodyComplete ? '' : ' (start)'}: ${printable(r.bodyExcerpt)}`)
      break
    }
    case 'no-answer':
      lines.push(`Result: no answer within ${result.timeoutMs} ms (body not sent)`)
      break
    case 'connection-error':
      lines.push(`Result: connection error: ${(result.error as ProbeError).message}`)
      break
  }
  lines.push('Advice:')
  for (const line of advice) lines.push(`  - ${line}`)
  return `${lines.join('\n')}\n`
}
