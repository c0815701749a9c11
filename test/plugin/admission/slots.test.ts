// The slot counter and its queue, without a server: a fake clock drives the timeouts.
import t from 'tap'
import { createSlots, type Claim, type Clock } from '../../../plugin/admission/slots'
import { createReleaseRate, retryAfterSeconds, MAX_SECONDS } from '../../../plugin/admission/retry-after'

function fakeClock () {
  let now = 0
  const timers = new Map<number, { at: number, fn: () => void }>()
  let next = 1
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => { const id = next++; timers.set(id, { at: now + ms, fn }); return id },
    clearTimeout: (id) => { timers.delete(id as number) }
  }
  const advance = (ms: number): void => {
    const end = now + ms
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (due === undefined) break
      timers.delete(due[0])
      now = due[1].at
      due[1].fn()
    }
    now = end
  }
  return { clock, advance, pending: () => timers.size }
}

function recorder () {
  const events: string[] = []
  const claims: Claim[] = []
  const handlers = (name: string, wait = true) => ({
    wait,
    granted: (c: Claim) => { events.push(`${name} granted after ${c.waitedMs}`) },
    busy: (s: number) => { events.push(`${name} busy ${s}`) }
  })
  return { events, claims, handlers }
}

t.test('grants up to the limit at once, then queues in order of arrival', async (t) => {
  const { clock, advance } = fakeClock()
  const slots = createSlots(2, 800, clock)
  const r = recorder()
  const a = slots.claim(r.handlers('a'))
  const b = slots.claim(r.handlers('b'))
  const c = slots.claim(r.handlers('c'))
  const d = slots.claim(r.handlers('d'))
  t.same([slots.inUse, slots.queued], [2, 2])
  t.same(r.events, ['a granted after 0', 'b granted after 0'])
  t.equal(c.state, 'waiting')
  advance(100)
  b.release()
  t.same(r.events.slice(2), ['c granted after 100'], 'the first in the queue gets the slot')
  t.same([slots.inUse, slots.queued], [2, 1])
  advance(50)
  a.release()
  t.same(r.events.slice(3), ['d granted after 150'])
  t.equal(d.state, 'held')
  t.same([slots.inUse, slots.queued], [2, 0])
})

t.test('a waiting claim times out with busy, and leaves the queue', async (t) => {
  const { clock, advance, pending } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const r = recorder()
  const a = slots.claim(r.handlers('a'))
  const b = slots.claim(r.handlers('b'))
  advance(799)
  t.equal(b.state, 'waiting')
  advance(1)
  t.equal(b.state, 'done')
  t.match(r.events[1], /^b busy \d+$/)
  t.same([slots.inUse, slots.queued], [1, 0])
  t.equal(pending(), 0, 'no timer left')
  a.release()
  t.equal(slots.inUse, 0, 'the timed-out claim is not granted later')
  t.equal(r.events.length, 2)
})

t.test('release is idempotent: a slot is never given back twice', async (t) => {
  const { clock } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const r = recorder()
  const a = slots.claim(r.handlers('a'))
  const b = slots.claim(r.handlers('b'))
  a.release()
  a.release()
  t.equal(slots.inUse, 1, 'b holds it')
  const c = slots.claim(r.handlers('c'))
  t.equal(c.state, 'waiting', 'the second release of a did not free a slot')
  b.release(); b.release()
  t.equal(c.state, 'held')
  c.release()
  t.same([slots.inUse, slots.queued], [0, 0])
})

t.test('a cancelled waiter leaves the queue; its timer goes; the slot goes to the next', async (t) => {
  const { clock, advance, pending } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const r = recorder()
  const a = slots.claim(r.handlers('a'))
  const b = slots.claim(r.handlers('b'))
  slots.claim(r.handlers('c'))
  b.release()
  t.equal(b.state, 'done')
  t.same([slots.inUse, slots.queued], [1, 1])
  t.equal(pending(), 1, 'only c\'s timer')
  advance(10)
  a.release()
  t.same(r.events, ['a granted after 0', 'c granted after 10'])
})

t.test('wait: false is busy at once at capacity; admissionTimeout 0 too', async (t) => {
  const { clock } = fakeClock()
  const r = recorder()
  const slots = createSlots(1, 800, clock)
  slots.claim(r.handlers('a'))
  const b = slots.claim(r.handlers('b', false))
  t.equal(b.state, 'done')
  t.match(r.events[1], /^b busy/)
  const zero = createSlots(1, 0, clock)
  zero.claim(r.handlers('x'))
  zero.claim(r.handlers('y'))
  t.match(r.events[3], /^y busy/)
  t.equal(zero.queued, 0)
})

t.test('a slot granted to a waiter can be released from its own granted callback', async (t) => {
  const { clock } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const a = slots.claim({ wait: true, granted: () => {}, busy: () => {} })
  let order = ''
  slots.claim({ wait: true, granted: (c) => { order += 'b'; c.release() }, busy: () => {} })
  slots.claim({ wait: true, granted: () => { order += 'c' }, busy: () => {} })
  a.release()
  t.equal(order, 'bc')
  t.same([slots.inUse, slots.queued], [1, 0])
})

t.test('invalid limits are refused', async (t) => {
  t.throws(() => createSlots(0, 800), RangeError)
  t.throws(() => createSlots(1.5, 800), RangeError)
})

t.test('Retry-After: (queued + 1) release intervals, whole seconds in [1, 60]', async (t) => {
  t.equal(retryAfterSeconds(0, 100, 800), 1, 'at least 1 s')
  t.equal(retryAfterSeconds(4, 600, 800), 3, '5 × 0.6 s')
  t.equal(retryAfterSeconds(0, undefined, 800), 1, 'no release seen yet: the fallback')
  t.equal(retryAfterSeconds(1000, 1000, 800), MAX_SECONDS)
  const rate = createReleaseRate()
  t.equal(rate.interval(0), undefined)
  rate.taken(0)
  t.equal(rate.interval(300), 300, 'before any release: the time since the first slot was taken')
  rate.released(1000)
  t.equal(rate.interval(1000), 1000)
  rate.released(1500)
  t.equal(rate.interval(1500), 900, 'moving average: 1000 + 0.2 × (500 - 1000)')
  t.equal(rate.interval(4500), 3000, 'a stall counts: the time since the last release')
})

t.test('the estimate follows the pace at which slots free', async (t) => {
  const { clock, advance } = fakeClock()
  const slots = createSlots(2, 5000, clock)
  const none = { wait: true, granted: () => {}, busy: () => {} }
  const a = slots.claim(none)
  const b = slots.claim(none)
  advance(1000)
  a.release()
  slots.claim(none)
  advance(1000)
  b.release()
  slots.claim(none)
  for (let i = 0; i < 3; i++) slots.claim(none)
  t.same([slots.inUse, slots.queued], [2, 3])
  t.equal(slots.retryAfter(), 4, '(3 queued + 1) × 1 s between releases')
  advance(3000)
  t.equal(slots.retryAfter(), 12, 'no release for 3 s: (3 + 1) × 3 s')
})
