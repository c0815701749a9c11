// What a test needs from outside the repo (a program, a package that loads, a channel that publishes):
// missing on a laptop, the test skips, saying why; missing in CI (`CI=true`, as .ci/run runs), it
// FAILS, so that a green CI never rests on tests that did not run. The one place for that rule.
import type { Test } from 'tap'
import { findProgram } from './interop'
import { findDaemon } from './proxies'

export const IN_CI = process.env.CI === 'true'

/**
 * True when `reason` is undefined (nothing missing). Otherwise ends the test: a skip with the reason
 * on a laptop, a failure in CI. Call first in the test body: `if (!requireThat(t, reason)) return`.
 */
export function requireThat (t: Test, reason: string | undefined | false): boolean {
  if (reason === undefined || reason === false) return true
  if (IN_CI) t.fail(`CI=true: ${reason} (.ci/run installs every tool the suites need)`)
  else t.plan(0, reason)
  return false
}

/** The path of a program on the PATH or in the sbin directories, or undefined. */
export function findTool (name: string): string | undefined {
  return findProgram(name) ?? findDaemon(name)
}

/** The program's path when it is installed; otherwise ends the test as `requireThat` does. */
export function requireTool (t: Test, name: string): string | undefined {
  const path = findTool(name)
  return requireThat(t, path === undefined ? `${name} is not installed` : undefined) ? path : undefined
}

/** Skip reason for a tool, for code that decides before a test runs (`undefined` when installed). */
export function missingTool (name: string): string | undefined {
  return findTool(name) === undefined ? `${name} is not installed` : undefined
}
