// Retry-After for a request refused at capacity: when a slot is likely to be
// free for it, from how fast slots have been coming free.
//
// The estimate: the interval between two releases is an exponentially weighted
// moving average of the gaps seen (weight 0.2 for the newest, so a change of
// pace shows within a few releases), raised to the time since the last release
// when that is longer (a stall: every slot held by a slow upload). A client that
// retries must let the requests still queued go first and then needs one slot
// itself: (queued + 1) intervals, in whole seconds, at least 1 (RFC 9110 §10.2.3:
// delay-seconds is an integer) and at most 60 (a bound a client can honour).
// Before any release the time since the slots were first taken stands for the gap.

/** The newest gap's weight in the moving average. */
export const WEIGHT = 0.2
export const MIN_SECONDS = 1
export const MAX_SECONDS = 60

export interface ReleaseRate {
  /** A slot came free at `now` (ms). */
  released (now: number): void
  /** A slot was taken at `now` (ms): starts the clock before the first release. */
  taken (now: number): void
  /** The expected ms between two releases, seen from `now`; undefined before any slot was taken. */
  interval (now: number): number | undefined
}

export function createReleaseRate (): ReleaseRate {
  let average: number | undefined
  let last: number | undefined
  return {
    released (now) {
      if (last !== undefined) {
        const gap = Math.max(0, now - last)
        average = average === undefined ? gap : average + WEIGHT * (gap - average)
      }
      last = now
    },
    taken (now) {
      last ??= now
    },
    interval (now) {
      if (last === undefined) return undefined
      return Math.max(average ?? 0, now - last)
    }
  }
}

/** Whole seconds for Retry-After: `ahead` requests to be served before the retry, one slot each. */
export function retryAfterSeconds (ahead: number, intervalMs: number | undefined, fallbackMs: number): number {
  const ms = (ahead + 1) * (intervalMs ?? fallbackMs)
  return Math.min(MAX_SECONDS, Math.max(MIN_SECONDS, Math.ceil(ms / 1000)))
}
