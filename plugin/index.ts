// fastify-expect: Fastify decides what an `Expect: 100-continue` request gets
// (100, a final error, or 417) from its request line and headers, before any
// body byte is sent. Registration wires:
// - onRoute: each route's policy, derived and validated once (route-policy.ts);
// - the server's checkContinue/checkExpectation events (server-events.ts);
// - the gate, an onRequest hook that only expectation requests reach (gate.ts, dispatch.ts);
// - inject(), so that injected expectation requests meet the same gate (inject.ts);
// - the staged close of connections answered before their body (linger.ts,
//   stream-reset.ts), which a closing server does not wait for.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { EventEmitter } from 'node:events'
import { stateOf, type Verdict } from './continue'
import { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_INVALID_FRAMING } from './errors'
import { bodylessMethodsOf, contentTypeParsersOf, serverBindingsOf } from './fastify-internals'
import { createGate, kPolicy } from './gate'
import { injectThroughGate } from './inject'
import { createLinger } from './linger'
import { resolvePluginOptions, type PluginOptions } from './options'
import { derivePolicy } from './route-policy'
import { isWired, wireServer } from './server-events'

export interface ExpectationInfo {
  /** The request carried an Expect field. */
  readonly present: boolean
  /** Where the plugin's decision stands; undefined when it never looked at the request. */
  readonly verdict: Verdict | undefined
  /** A `100 Continue` was written for this request. */
  readonly continueSent: boolean
}

const plugin: FastifyPluginAsync<PluginOptions> = async (fastify, rawOptions) => {
  const options = resolvePluginOptions(rawOptions as Record<string, unknown>)
  if (isWired(fastify.server as EventEmitter)) {
    // Two registrations would dispatch every expectation request twice.
    throw new Error('fastify-expect is already registered for this server: register it once, at the root')
  }

  fastify.decorateRequest('expectation', {
    getter (this: { raw: Parameters<typeof stateOf>[0] }): ExpectationInfo {
      const state = stateOf(this.raw)
      return {
        present: this.raw.headers.expect !== undefined,
        verdict: state?.verdict,
        continueSent: state?.continueSent ?? false
      }
    }
  })

  fastify.addHook('onRoute', function derive (this: FastifyInstance, route) {
    const config = (route.config ?? {}) as Record<string | symbol, unknown>
    const policy = derivePolicy({
      method: route.method,
      url: route.url,
      bodyLimit: route.bodyLimit,
      schema: route.schema as { body?: unknown } | undefined,
      expect: config.expect
    }, contentTypeParsersOf(this), this.initialConfig.bodyLimit as number, options, bodylessMethodsOf(this))
    route.config = { ...config, [kPolicy]: policy } as typeof route.config
  })

  const gate = createGate(options)
  fastify.addHook('onRequest', gate.hook)
  fastify.addHook('onClose', (instance, done) => {
    gate.routes.release()
    done()
  })

  const linger = createLinger(options)
  wireServer(fastify.server as EventEmitter, linger, options)
  fastify.addHook('onListen', function wireExtraBindings (this: FastifyInstance, next) {
    for (const server of serverBindingsOf(this)) wireServer(server as EventEmitter, linger, options)
    next()
  })
  // Runs once, before Fastify closes its servers (which wait for every socket).
  fastify.addHook('preClose', function stopLingering (this: FastifyInstance, next) {
    linger.close(this.initialConfig.forceCloseConnections === true)
    next()
  })

  injectThroughGate(fastify)
}

const fastifyExpect = fp(plugin, { fastify: '5.x || 6.x', name: 'fastify-expect' })
const errorCodes = { FST_ERR_EXPECTATION_FAILED, FST_ERR_EXPECT_INVALID_FRAMING }

export default fastifyExpect
export { fastifyExpect, errorCodes }

// CommonJS: require('fastify-expect') is the plugin itself, as with Fastify's own plugins.
module.exports = fastifyExpect
module.exports.default = fastifyExpect
module.exports.fastifyExpect = fastifyExpect
module.exports.errorCodes = errorCodes
