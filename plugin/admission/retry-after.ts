// Retry-After for a request refused at capacity: when a slot is likely to be
// free for it, from how fast slots have been coming free.
//
// The pace: with `limit` slots each held for H ms on average, a slot comes free
// every H / limit ms. H is an exponentially weighted moving average of the hold
// times seen (weight 0.2 for the newest, so a change shows within a few
// releases); the interval is raised to the time since the last release when
// that is longer (a stall: every slot held by a slow upload). Before any
// release, the time since the first slot was taken stands for H (the slots
// have been held at least that long).
//
// The turns: each refusal is given the next turn at that pace. A horizon moves
// one interval further for each refusal (and never lies in the past), so the
// first client refused comes back after one interval, the next after two, and
// so on: a burst refused at once returns spread out at the rate the slots can
// take it, in the order it was refused (the oldest first, as in the queue).
// In whole seconds, at least 1 (RFC 9110 §10.2.3: delay-seconds is an integer)
// and at most 60 (a bound a client can honour).

/** The newest gap's weight in the moving average. */
export const WEIGHT = 0.2
export const MIN_SECONDS = 1
export const MAX_SECONDS = 60

export interface RetryAfter {
  /** A slot was taken at `now` (ms): starts the clock before the first release. */
  taken (now: number): void
  /** A slot held for `heldMs` came free at `now` (ms). */
  released (now: number, heldMs: number): void
  /** The expected ms between two releases, seen from `now`; undefined before any slot was taken. */
  interval (now: number): number | undefined
  /** A refusal at `now`: the seconds until its turn, which it takes (the next refusal's comes after). */
  nextTurn (now: number, fallbackMs: number): number
}

export function createRetryAfter (limit: number): RetryAfter {
  let hold: number | undefined
  let first: number | undefined
  let last: number | undefined
  let horizon = 0
  const interval = (now: number): number | undefined => {
    if (hold === undefined || last === undefined) return first === undefined ? undefined : (now - first) / limit
    return Math.max(hold / limit, now - last)
  }
  return {
    taken (now) {
      first ??= now
    },
    released (now, heldMs) {
      hold = hold === undefined ? heldMs : hold + WEIGHT * (heldMs - hold)
      last = now
    },
    interval,
    nextTurn (now, fallbackMs) {
      horizon = Math.max(horizon, now) + (interval(now) ?? fallbackMs)
      return Math.min(MAX_SECONDS, Math.max(MIN_SECONDS, Math.ceil((horizon - now) / 1000)))
    }
  }
}
