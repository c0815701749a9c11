// The public type surface, in the `export =` shape CommonJS consumers need.
// Every type comes from the source (dist/plugin/index.d.ts, built from plugin/):
// nothing is declared twice. The source also augments Fastify's route config.
import type * as source from '../dist/plugin/index'

type FastifyExpect = typeof source.default

declare namespace fastifyExpect {
  export type FastifyExpectOptions = source.FastifyExpectOptions
  export type RouteExpectConfig = source.RouteExpectConfig
  export type ExpectationInfo = source.ExpectationInfo
  export type Verdict = source.Verdict
  export type DecisionMessage = source.DecisionMessage
  export type AdmissionMessage = source.AdmissionMessage
  export type AdmissionView = source.AdmissionView
  export const errorCodes: typeof source.errorCodes
  export const expectationOf: typeof source.expectationOf
  export const decisionChannel: typeof source.decisionChannel
  export const admissionChannel: typeof source.admissionChannel
  export const fastifyExpect: FastifyExpect
  export { fastifyExpect as default }
}

// A function declaration, so that the namespace above merges with it.
declare function fastifyExpect (...params: Parameters<FastifyExpect>): ReturnType<FastifyExpect>
export = fastifyExpect
