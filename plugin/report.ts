// Every decision visible: a diagnostics_channel message for each settled
// expectation (the Node ecosystem's way: Fastify, undici and OpenTelemetry use
// it) and one log line for each request refused before its body.
import diagnostics from 'node:diagnostics_channel'
import type { FastifyBaseLogger } from 'fastify'
import type { RawRequest, RawResponse, Settled, SettledState, Verdict } from './way-in/continue'
import type { LogLevel } from './options'

export const CHANNEL = 'fastify-expect:decision'
const channel = diagnostics.channel(CHANNEL)

export interface DecisionMessage {
  readonly request: RawRequest
  readonly response: RawResponse | undefined
  readonly verdict: Verdict
  readonly reason: string | undefined
  /** The final status, or 100 when the body was asked for. */
  readonly statusCode: number | undefined
  /** Content-Length as declared: for a refusal, the bytes the client did not have to send. */
  readonly declaredLength: number | undefined
  readonly method: string | undefined
  readonly url: string | undefined
}

export function createReport (log: FastifyBaseLogger, level: LogLevel): Settled {
  return function report (request, response, state) {
    const statusCode = statusOf(response, state)
    if (state.verdict === 'refused' || state.verdict === 'expectation-failed') {
      log[level]({
        req: { method: request.method, url: request.url },
        expect: { verdict: state.verdict, reason: state.reason, statusCode, declaredLength: state.declaredLength }
      }, `upload refused before its body: ${statusCode ?? ''} ${state.reason ?? ''}`.trim())
    }
    if (!channel.hasSubscribers) return
    const message: DecisionMessage = {
      request,
      response,
      verdict: state.verdict,
      reason: state.reason,
      statusCode,
      declaredLength: state.declaredLength,
      method: request.method,
      url: request.url
    }
    channel.publish(message)
  }
}

function statusOf (response: RawResponse | undefined, state: SettledState): number | undefined {
  if (state.verdict === 'continued') return 100
  return response === undefined || !response.headersSent ? undefined : response.statusCode
}
