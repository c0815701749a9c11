// The public type surface. Option and route-config types come from the same
// TypeBox schemas the plugin validates with (dist/options.d.ts).
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyErrorConstructor } from '@fastify/error'
import type { Static } from '@sinclair/typebox'
import type { PluginOptionsSchema, RouteExpectSchema } from '../dist/options'

type FastifyExpect = FastifyPluginCallback<fastifyExpect.FastifyExpectOptions>

declare module 'fastify' {
  interface FastifyContextConfig {
    /** fastify-expect rules for this route, or `false` to turn the plugin off for it. */
    expect?: fastifyExpect.RouteExpectConfig
  }
  interface FastifyRequest {
    /** What fastify-expect saw and did for this request. */
    readonly expectation: fastifyExpect.ExpectationInfo
  }
}

declare namespace fastifyExpect {
  export type FastifyExpectOptions = Static<typeof PluginOptionsSchema>
  type RouteRules = Exclude<Static<typeof RouteExpectSchema>, false>
  export type RouteExpectConfig = false | (Omit<RouteRules, 'check'> & {
    /** Runs before the body is sent; throw (or reject) to refuse the upload with that error. */
    check?: (request: FastifyRequest, reply: FastifyReply) => unknown
  })
  export type Verdict = 'pending' | 'approved' | 'rejected' | 'ignored'
  export interface ExpectationInfo {
    /** The request carried an Expect field. */
    readonly present: boolean
    /** Where the plugin's decision stands; undefined when it never looked at the request. */
    readonly verdict: Verdict | undefined
    /** A `100 Continue` was written for this request. */
    readonly continueSent: boolean
  }
  export const errorCodes: {
    FST_ERR_EXPECTATION_FAILED: FastifyErrorConstructor<{ code: 'FST_ERR_EXPECTATION_FAILED', statusCode: 417 }, [string]>
    FST_ERR_EXPECT_INVALID_FRAMING: FastifyErrorConstructor<{ code: 'FST_ERR_EXPECT_INVALID_FRAMING', statusCode: 400 }, [string]>
  }
  export const fastifyExpect: FastifyExpect
  export { fastifyExpect as default }
}

declare function fastifyExpect (...params: Parameters<FastifyExpect>): ReturnType<FastifyExpect>
export = fastifyExpect
