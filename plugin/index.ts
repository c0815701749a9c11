// fastify-expect: Fastify decides what an `Expect: 100-continue` request gets
// (100, a final error, or 417) from its request line and headers, before any
// body byte is sent. Registration wires:
// - the server's checkContinue/checkExpectation events, the only way in for
//   expectation requests (server-events.ts): 417 and framing errors at once,
//   otherwise the 100 on the first read of the body (continue.ts);
// - onRoute: one preParsing and one onSend hook on the routes where the plugin
//   has something to do (route-rules.ts), reading the route's body model
//   (body/), and one preParsing hook on the not-found handler (not-found.ts);
// - how a connection ends after an answer given before its body
//   (connection/close.ts: staged close, HTTP/2 reset), which a closing server
//   does not wait for.
// Requests without Expect, on routes without rules, meet nothing of the plugin's.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { EventEmitter } from 'node:events'
import { stateOf, type RawRequest, type Verdict } from './way-in/continue'
import { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_BUSY, FST_ERR_EXPECT_INVALID_FRAMING } from './decision/errors'
import { ADMISSION_CHANNEL, admissionOptions, admissionWaitOf, createAdmission, type AdmissionMessage, type AdmissionView } from './admission/admit'
import { resolveInternals } from './internals/fastify'
import { detectRuntime, runtimeWarning } from './internals/runtime'
import { wrapNodeClasses } from './internals/node'
import { registrationErrors, FST_ERR_EXPECT_ALREADY_REGISTERED, FST_ERR_EXPECT_NOT_ROOT } from './registration-errors'
import { createLinger } from './connection/linger'
import { createConnections } from './connection/close'
import { resolvePluginOptions, type PluginOptions, type RouteExpectConfig, type RouteExpectField } from './options'
import { refuseUnknownRoutes } from './rules/not-found'
import { CHANNEL, createReport, type DecisionMessage } from './report'
import { installRules } from './rules/route-rules'
import { printRules, warnings, type SeenRoute } from './rules/startup'
import { routesFromTree } from './rules/earlier-routes'
import { isWired, wireServer } from './way-in/server-events'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** fastify-expect rules for this route, or `false` for none. */
    expect?: RouteExpectField
  }
  interface FastifyInstance {
    /** Every route fastify-expect saw, with the rules it applies before the body (as printRoutes()). */
    printExpectRules: () => string
    /** Upload slots (maxConcurrentUploads): in use, queued and the limit, server-wide and per route. */
    readonly expectAdmission: AdmissionView
  }
}

export interface ExpectationInfo {
  /** The request carried an Expect field. */
  readonly present: boolean
  /** `'none'` without an Expect field; otherwise where the decision stands. */
  readonly verdict: Verdict | 'none'
  /** Why the verdict is what it is (`http/1.0`, `no-body`, `body-limit`, `media-type`, `headers`, `check`, `not-found`, `hook`, `busy`, ...). */
  readonly reason: string | undefined
  /** A `100 Continue` was written for this request. */
  readonly continueSent: boolean
  /** Ms the request waited for an upload slot (0: one was free); undefined when it met no slot limit. */
  readonly admissionWait: number | undefined
}

/** What fastify-expect saw and did for a request (Fastify's or Node's request object). */
export function expectationOf (request: FastifyRequest | RawRequest): ExpectationInfo {
  const raw = 'raw' in request ? request.raw : request
  const present = raw.headers.expect !== undefined
  const state = stateOf(raw)
  const admissionWait = admissionWaitOf(raw)
  if (state !== undefined) return { present, verdict: state.verdict, reason: state.reason, continueSent: state.continueSent, admissionWait }
  // Not seen: no Expect, HTTP/1.0 (its expectations are ignored), or no server event (inject()).
  const reason = !present ? undefined : raw.httpVersionMajor === 1 && raw.httpVersionMinor === 0 ? 'http/1.0' : 'not-seen'
  return { present, verdict: present ? 'ignored' : 'none', reason, continueSent: false, admissionWait }
}

const plugin: FastifyPluginAsync<PluginOptions> = async (fastify, rawOptions) => {
  const options = resolvePluginOptions(rawOptions as Record<string, unknown>)
  const internals = resolveInternals(fastify, (message) => { fastify.log.warn(message) })
  if (internals.encapsulated(fastify)) {
    throw new FST_ERR_EXPECT_NOT_ROOT()
  }
  if (isWired(fastify.server as EventEmitter)) {
    throw new FST_ERR_EXPECT_ALREADY_REGISTERED()
  }
  // Node's classes are wrapped now, before any request (internals/node.ts says why).
  for (const missing of wrapNodeClasses()) fastify.log.warn(`fastify-expect: this runtime lacks ${missing}`)
  const runtimeNote = runtimeWarning(detectRuntime())
  if (runtimeNote !== undefined) fastify.log.warn(runtimeNote)
  const settled = createReport(fastify.log, options.rejectionLogLevel)

  // Rules come from onRoute: routes declared before the plugin loaded are not seen.
  const earlier = internals.routesDeclared(fastify)
  if (earlier !== undefined) {
    fastify.log.warn(`fastify-expect: routes were declared before it loaded; their rules (bodyLimit, config.expect, schema) will not be applied before the body. Register it first: await app.register(fastifyExpect). Routes:\n${earlier}`)
  }
  const linger = createLinger(options)
  const connections = createConnections(linger)
  const wiring = { options, settled, connections, internals }
  refuseUnknownRoutes(fastify, connections, internals, (message) => { fastify.log.warn(message) })
  const seen: SeenRoute[] = []
  const admission = createAdmission(admissionOptions(rawOptions), settled, connections)
  fastify.decorate('expectAdmission', { getter: () => admission.view })
  fastify.addHook('onRoute', function expectRules (this: FastifyInstance, route) {
    installRules(route, this, wiring)
    admission.route(route)
    seen.push({ name: `${[route.method].flat().join(',')} ${route.url}`, route, instance: this })
  })
  const notCovered = earlier === undefined ? [] : routesFromTree(earlier)
  fastify.decorate('printExpectRules', () => printRules(seen, options, notCovered))
  fastify.addHook('onReady', function warnUnworkableRules (done) {
    // A streaming parser with a bodyLimit of its own is held to it (the body model): no warning there.
    const serverLimit = fastify.initialConfig.bodyLimit
    const unlimited = (instance: FastifyInstance, type: string): boolean | undefined => {
      const parser = internals.parsers(instance)?.get(type)
      return parser === undefined ? undefined : !parser.buffered && (parser.bodyLimit === undefined || parser.bodyLimit === serverLimit)
    }
    for (const message of warnings(seen, options, unlimited)) fastify.log.warn(message)
    done()
  })

  wireServer(fastify.server as EventEmitter, connections, options, settled)
  fastify.addHook('onListen', function wireExtraBindings (this: FastifyInstance, next) {
    for (const server of internals.serverBindings(this)) {
      if (!isWired(server as EventEmitter)) wireServer(server as EventEmitter, connections, options, settled)
    }
    next()
  })
  // Runs once, before Fastify closes its servers (which wait for every socket).
  fastify.addHook('preClose', function stopLingering (this: FastifyInstance, next) {
    linger.close(this.initialConfig.forceCloseConnections === true)
    next()
  })
}

const fastifyExpect = fp(plugin, { fastify: '5.x || 6.x', name: 'fastify-expect' })
const errorCodes = { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_INVALID_FRAMING, FST_ERR_EXPECT_BUSY, ...registrationErrors }

export default fastifyExpect
export { fastifyExpect, errorCodes, CHANNEL as decisionChannel, ADMISSION_CHANNEL as admissionChannel }
export type { AdmissionMessage, AdmissionView, DecisionMessage, RouteExpectConfig, PluginOptions as FastifyExpectOptions, Verdict }

// CommonJS: require('fastify-expect') is the plugin itself, as with Fastify's own plugins.
module.exports = fastifyExpect
module.exports.default = fastifyExpect
module.exports.fastifyExpect = fastifyExpect
module.exports.errorCodes = errorCodes
module.exports.expectationOf = expectationOf
module.exports.decisionChannel = CHANNEL
module.exports.admissionChannel = ADMISSION_CHANNEL
