// Upload slots: how many request bodies are received at once, and the queue of
// those waiting for one, first come first served, each for a bounded time.
// Pure: no request, no socket, the clock injected; admit.ts ties a claim to a
// request's life.
import { createRetryAfter } from './retry-after'

export interface Clock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms)
    // A waiting request must not keep a closing process alive on its own.
    timer.unref()
    return timer
  },
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

/** One request's claim on a slot: waiting, holding one, or over. */
export interface Claim {
  readonly state: 'waiting' | 'held' | 'done'
  /** Ms waited for the slot: 0 when granted at once, undefined until granted. */
  readonly waitedMs: number | undefined
  /** Gives the slot back, or leaves the queue; every call after the first does nothing. */
  release (): void
}

export interface ClaimHandlers {
  /** Queue when no slot is free (else `busy` at once). */
  readonly wait: boolean
  /** Ms the request has already waited before claiming (since it arrived): the timeout counts from its arrival. */
  readonly elapsed?: number
  /** The slot is this claim's (synchronously when one is free). */
  granted (claim: Claim): void
  /** No slot: at once (`wait: false`) or after the timeout; `retryAfter` in seconds. */
  busy (retryAfter: number): void
}

export interface SlotsView {
  readonly limit: number
  readonly inUse: number
  readonly queued: number
}

export interface Slots extends SlotsView {
  claim (handlers: ClaimHandlers): Claim
}

interface Entry extends Claim {
  state: 'waiting' | 'held' | 'done'
  waitedMs: number | undefined
  readonly since: number
  grantedAt: number
  readonly handlers: ClaimHandlers
  timer: unknown
}

export function createSlots (limit: number, timeoutMs: number, clock: Clock = realClock): Slots {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`upload slots: limit must be a positive integer, got ${limit}`)
  let inUse = 0
  // A Set keeps insertion order and deletes in O(1): the FIFO, with cancellation.
  const queue = new Set<Entry>()
  const rate = createRetryAfter(limit)
  const refuse = (handlers: ClaimHandlers): void => { handlers.busy(rate.nextTurn(clock.now(), timeoutMs)) }

  function grant (entry: Entry, queued: boolean): void {
    inUse++
    entry.state = 'held'
    const now = clock.now()
    entry.waitedMs = queued ? now - entry.since : 0
    entry.grantedAt = now
    rate.taken(now)
    entry.handlers.granted(entry)
  }

  function release (this: Entry): void {
    if (this.state === 'done') return
    const held = this.state === 'held'
    this.state = 'done'
    if (!held) {
      queue.delete(this)
      clock.clearTimeout(this.timer)
      return
    }
    inUse--
    const now = clock.now()
    rate.released(now, now - this.grantedAt)
    // The slot goes to the longest waiting request, if any.
    const next = queue.values().next()
    if (!next.done) {
      queue.delete(next.value)
      clock.clearTimeout(next.value.timer)
      grant(next.value, true)
    }
  }

  function expire (entry: Entry): void {
    if (entry.state !== 'waiting') return
    entry.state = 'done'
    queue.delete(entry)
    refuse(entry.handlers)
  }

  return {
    limit,
    get inUse () { return inUse },
    get queued () { return queue.size },
    claim (handlers) {
      const entry: Entry = { state: 'waiting', waitedMs: undefined, since: clock.now(), grantedAt: 0, handlers, timer: undefined, release }
      if (inUse < limit) {
        grant(entry, false)
      } else if (!handlers.wait || timeoutMs - (handlers.elapsed ?? 0) <= 0) {
        entry.state = 'done'
        refuse(handlers)
      } else {
        queue.add(entry)
        entry.timer = clock.setTimeout(() => { expire(entry) }, timeoutMs - (handlers.elapsed ?? 0))
      }
      return entry
    }
  }
}
