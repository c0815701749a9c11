#!/usr/bin/env node
// `npx fastify-expect probe <url>`: see USAGE in args.ts.
import { parseProbeArgs, USAGE, type UsageError } from './args'
import { asciiJson, visible } from './escape'
import { probe, type ProbeResult } from './probe'
import { advise } from './advice'
import { formatReport } from './report'

export interface Output {
  out (text: string): void
  err (text: string): void
}

/** After the report, at most this long before the process exits, whatever is still pending. */
const EXIT_GRACE_MS = 1000

/** Exit code for each outcome: 0 an answer, 1 connection error, 3 no answer within the timeout. */
export function exitCode (result: ProbeResult): number {
  return result.outcome === 'connection-error' ? 1 : result.outcome === 'no-answer' ? 3 : 0
}

/** Runs the command line; resolves with the exit code (2 for usage errors). */
export async function main (argv: readonly string[], output: Output): Promise<number> {
  let parsed
  try {
    parsed = parseProbeArgs(argv)
  } catch (error) {
    // parseProbeArgs throws only UsageError.
    output.err(`fastify-expect: ${visible((error as UsageError).message)}\nRun "fastify-expect --help" for the options.\n`)
    return 2
  }
  if (parsed.help) {
    output.out(`${USAGE}\n`)
    return 0
  }
  const { args } = parsed
  const result = await probe(args)
  const advice = advise(result)
  if (args.json) output.out(`${asciiJson({ ...result, advice })}\n`)
  else output.out(formatReport(result, advice))
  return exitCode(result)
}

/* c8 ignore start */
if (require.main === module) {
  main(process.argv.slice(2), { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) })
    .then((code) => {
      process.exitCode = code
      // The report is out. A socket closing politely is bounded by the deadline already; this also
      // bounds what cannot be cancelled, such as a DNS lookup still running in the thread pool.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
    }, (error: unknown) => {
      process.stderr.write(`fastify-expect: unexpected error: ${String((error as Error)?.stack ?? error)}\n`)
      process.exitCode = 1
    })
}
/* c8 ignore stop */
