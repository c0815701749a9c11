// Admission: upload slots tied to the request life cycle.
//
// One route-level onRequest hook, on the routes that have slots (the server's
// `maxConcurrentUploads`, or the route's own `config.expect.maxConcurrentUploads`),
// for requests that frame a body:
// - an expectation request still waiting for its 100 claims its slot on the
//   first read of its body (internals/node.ts holdFirstRead, whatever reads it: the
//   route's rules and checks have run, and the 100 follows the slot). At
//   capacity it waits, first come first served, up to `admissionTimeout`, then
//   gets 503 with Retry-After, its body never asked for;
// - a request without Expect claims its slot in the hook, before anything reads
//   its body: at capacity 503 at once (`admission: 'refuse'`), or (`'queue'`)
//   the connection is not read while it waits, then 503 after the timeout.
// The slot goes back when the response finishes or closes, whichever comes
// first, whatever ended it (answer, refusal, abort, timeout, reset, a cancelled
// HTTP/2 stream); a waiting request whose response closes leaves the queue.
import diagnostics from 'node:diagnostics_channel'
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { bodyFraming, headOf } from '../decision/framing'
import { FST_ERR_EXPECT_BUSY } from '../decision/errors'
import type { Connections } from '../connection/close'
import { holdFirstRead } from '../internals/node'
import { stateOf, type RawRequest, type Settled } from '../way-in/continue'
import { createSlots, type Claim, type Slots, type SlotsView } from './slots'
import { resumeReading, stopReading } from './reading'

export const ADMISSION_CHANNEL = 'fastify-expect:admission'
const channel = diagnostics.channel(ADMISSION_CHANNEL)

export type AdmissionMode = 'refuse' | 'queue'

export interface AdmissionOptions {
  readonly maxConcurrentUploads: number | undefined
  readonly admissionTimeout: number
  readonly admission: AdmissionMode
}

/** 800 ms: below the 1 s curl and Go wait for the 100 before sending the body anyway. */
export const ADMISSION_DEFAULTS = Object.freeze({ admissionTimeout: 800, admission: 'refuse' as AdmissionMode })

/** The admission options with their defaults, from the plugin's options (validated by options.ts). */
export function admissionOptions (options: Partial<AdmissionOptions>): AdmissionOptions {
  return {
    maxConcurrentUploads: options.maxConcurrentUploads,
    admissionTimeout: options.admissionTimeout ?? ADMISSION_DEFAULTS.admissionTimeout,
    admission: options.admission ?? ADMISSION_DEFAULTS.admission
  }
}

/** A message on `fastify-expect:admission`, one per request that met a slot limit. */
export interface AdmissionMessage {
  readonly request: RawRequest
  /** `admitted`: got its slot; `busy`: refused with 503; `cancelled`: ended while waiting. */
  readonly event: 'admitted' | 'busy' | 'cancelled'
  /** Ms the request waited (0: a slot was free). */
  readonly waitMs: number
  /** The route's own limit, or undefined for the server's. */
  readonly route: string | undefined
  readonly inUse: number
  readonly queued: number
  readonly limit: number
  /** Seconds, for `busy`. */
  readonly retryAfter: number | undefined
}

/** `fastify.expectAdmission`: the server's slots and each route's own. */
export interface AdmissionView {
  /** The server's limit (`maxConcurrentUploads`), undefined when unset. */
  readonly limit: number | undefined
  readonly inUse: number
  readonly queued: number
  /** Routes with their own `config.expect.maxConcurrentUploads`, by "METHOD /url". */
  readonly routes: Readonly<Partial<Record<string, SlotsView>>>
}

export interface Admission {
  /** From the plugin's onRoute hook: adds the slot hook to the route if it has slots. */
  route (route: RouteOptions): void
  readonly view: AdmissionView
}

// Beside the request, not on it: an own property would change the shape of Node's request objects.
const waits = new WeakMap<RawRequest, number>()

/** Ms the request waited for an upload slot, or undefined if it met no limit. */
export function admissionWaitOf (request: RawRequest): number | undefined {
  return waits.get(request)
}

interface Pool { readonly slots: Slots, readonly route: string | undefined }

export function createAdmission (options: AdmissionOptions, settled: Settled, connections: Connections): Admission {
  const server = options.maxConcurrentUploads === undefined ? undefined : createSlots(options.maxConcurrentUploads, options.admissionTimeout)
  const routes: Record<string, SlotsView> = {}

  return {
    route (route) {
      const expect = (route.config as { expect?: { maxConcurrentUploads?: number } | false } | undefined)?.expect
      if (expect === false) return // no rules for this route: plain Fastify
      const own = expect?.maxConcurrentUploads
      const name = `${[route.method].flat().join(',')} ${route.url}`
      let pool: Pool
      if (own !== undefined) {
        const slots = createSlots(own, options.admissionTimeout)
        routes[name] = { get limit () { return slots.limit }, get inUse () { return slots.inUse }, get queued () { return slots.queued } }
        pool = { slots, route: name }
      } else if (server !== undefined) {
        pool = { slots: server, route: undefined }
      } else {
        return
      }
      const hook = createSlotHook(pool, options, settled, connections)
      route.onRequest = [...(route.onRequest === undefined ? [] : [route.onRequest].flat()), hook] as RouteOptions['onRequest']
    },
    view: {
      get limit () { return server?.limit },
      get inUse () { return server?.inUse ?? 0 },
      get queued () { return server?.queued ?? 0 },
      routes
    }
  }
}

type OnRequest = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void

function createSlotHook ({ slots, route }: Pool, options: AdmissionOptions, settled: Settled, connections: Connections): OnRequest {
  const publish = (request: RawRequest, event: AdmissionMessage['event'], waitMs: number, retryAfter?: number): void => {
    if (!channel.hasSubscribers) return
    const message: AdmissionMessage = { request, event, waitMs, route, inUse: slots.inUse, queued: slots.queued, limit: slots.limit, retryAfter }
    channel.publish(message)
  }

  /** 503 with Retry-After, the body unread; the usual log line and decision message (reason 'busy'). */
  const refuse = (reply: FastifyReply, retryAfter: number, waitMs: number, send: (error: Error) => void): void => {
    const raw = reply.request.raw
    waits.set(raw, waitMs)
    publish(raw, 'busy', waitMs, retryAfter)
    const state = stateOf(raw)
    if (state !== undefined) {
      state.reason = 'busy' // settled as refused when the answer finishes (continue.ts)
    } else {
      const length = Number(raw.headers['content-length'])
      reply.raw.once('finish', () => {
        settled(raw, reply.raw, { verdict: 'refused', reason: 'busy', continueSent: false, declaredLength: Number.isNaN(length) ? undefined : length })
      })
    }
    reply.header('retry-after', String(retryAfter))
    connections.closeAfterReply(reply)
    send(new FST_ERR_EXPECT_BUSY(retryAfter))
  }

  return function fastifyExpectSlots (request, reply, done) {
    const raw = request.raw
    const framing = bodyFraming(headOf(raw))
    if (typeof framing === 'string' || !framing.hasBody) {
      done()
      return
    }
    const response = reply.raw
    let claim: Claim | undefined
    let claimedAt = 0
    const end = (): void => {
      if (claim === undefined) return
      if (claim.state === 'waiting') publish(raw, 'cancelled', performance.now() - claimedAt)
      claim.release()
    }
    response.once('finish', end)
    response.once('close', end)

    if (stateOf(raw)?.verdict === 'pending') {
      // Waits for its 100: the slot is claimed on the first read of the body.
      holdFirstRead(raw, (proceed) => {
        if (response.writableEnded || response.destroyed) {
          proceed()
          return
        }
        claimedAt = performance.now()
        claim = slots.claim({
          wait: true,
          // The client's patience (curl and Go: 1 s) runs from its head: the timeout counts from the request's arrival.
          elapsed: reply.elapsedTime,
          granted: (c) => {
            if (c.waitedMs !== undefined) waits.set(raw, c.waitedMs)
            publish(raw, 'admitted', c.waitedMs ?? 0)
            proceed()
          },
          busy: (retryAfter) => {
            if (reply.sent || response.destroyed) return
            refuse(reply, retryAfter, performance.now() - claimedAt, (error) => { reply.send(error) })
          }
        })
      })
      done()
      return
    }

    // Without Expect (or its 100 already sent): claimed now, before anything reads the body.
    let waiting = false
    claimedAt = performance.now()
    claim = slots.claim({
      wait: options.admission === 'queue',
      elapsed: reply.elapsedTime,
      granted: (c) => {
        if (c.waitedMs !== undefined) waits.set(raw, c.waitedMs)
        publish(raw, 'admitted', c.waitedMs ?? 0)
        if (waiting) resumeReading(raw)
        done()
      },
      busy: (retryAfter) => {
        if (response.destroyed) return
        refuse(reply, retryAfter, performance.now() - claimedAt, done)
      }
    })
    if (claim.state === 'waiting') {
      waiting = true
      stopReading(raw)
    }
  }
}
