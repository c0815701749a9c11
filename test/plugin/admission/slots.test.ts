// The slot counter and its queue, without a server: a fake clock drives the timeouts.
import t from 'tap'
import { createSlots, type Claim, type Clock } from '../../../plugin/admission/slots'
import { createRetryAfter, MAX_SECONDS } from '../../../plugin/admission/retry-after'

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

t.test('the timeout counts from the request\'s arrival: `elapsed` is deducted; none left: busy at once', async (t) => {
  const { clock, advance } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const r = recorder()
  slots.claim(r.handlers('a'))
  const b = slots.claim({ ...r.handlers('b'), elapsed: 500 })
  advance(299)
  t.equal(b.state, 'waiting')
  advance(1)
  t.equal(b.state, 'done', 'refused 300 ms after its claim')
  const c = slots.claim({ ...r.handlers('c'), elapsed: 800 })
  t.equal(c.state, 'done', 'no time left')
  t.same(r.events.map((e) => e.split(' ').slice(0, 2).join(' ')), ['a granted', 'b busy', 'c busy'])
})

t.test('Retry-After: the pace: mean hold time / slots, or the stall since the last release', async (t) => {
  const rate = createRetryAfter(4)
  t.equal(rate.interval(0), undefined)
  rate.taken(0)
  t.equal(rate.interval(800), 200, 'before any release: held at least 800 ms, by 4 slots')
  rate.released(1000, 1000)
  t.equal(rate.interval(1000), 250, '1 s holds, 4 slots: one every 250 ms')
  rate.released(1100, 500)
  t.equal(rate.interval(1100), 225, 'moving average of holds: 1000 + 0.2 × (500 - 1000) = 900, / 4')
  t.equal(rate.interval(4100), 3000, 'a stall counts: the time since the last release')
})

t.test('Retry-After: each refusal takes the next turn at that pace, in whole seconds within [1, 60]', async (t) => {
  const rate = createRetryAfter(1)
  t.equal(rate.nextTurn(0, 800), 1, 'no slot taken yet: the fallback interval (800 ms), rounded up')
  const paced = createRetryAfter(2)
  paced.taken(0)
  for (let at = 400; at <= 4000; at += 400) paced.released(at, 800)
  const turns = Array.from({ length: 10 }, () => paced.nextTurn(4000, 800))
  t.same(turns, [1, 1, 2, 2, 2, 3, 3, 4, 4, 4], 'a burst of refusals spread at 0.4 s per slot: 0.4, 0.8, 1.2 ... 4 s')
  t.equal(paced.nextTurn(14_000, 800), 10, 'later: from now (the horizon never lies in the past), one interval, here the 10 s stall')
  const slow = createRetryAfter(1)
  slow.taken(0)
  slow.released(30_000, 30_000)
  t.equal(slow.nextTurn(30_000, 800), 30)
  t.equal(slow.nextTurn(30_000, 800), MAX_SECONDS, 'at most 60 s')
})

t.test('busy carries the turn: a burst refused together is told to come back spread out, oldest first', async (t) => {
  const { clock, advance } = fakeClock()
  const slots = createSlots(1, 800, clock)
  const a = slots.claim({ wait: true, granted: () => {}, busy: () => {} })
  advance(2000)
  a.release() // one release: 2 s between releases from now on
  slots.claim({ wait: true, granted: () => {}, busy: () => {} })
  const told: number[] = []
  for (let i = 0; i < 4; i++) slots.claim({ wait: true, granted: () => {}, busy: (s) => { told.push(s) } })
  advance(800)
  t.same(told, [2, 4, 6, 8])
})
