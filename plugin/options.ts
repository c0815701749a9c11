// Plugin options and the per-route `config.expect`. The schemas and their types
// are TypeBox's (schema/source.ts), compiled ahead of time into schema/compiled.ts
// (`npm run schema:compile`), so the published package neither ships nor loads
// TypeBox; schema/check.ts checks values against them at registration.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isMediaRange } from './decision/media-type'
import { closest, firstProblem, type Schema } from './schema/check'
import { schemas, type LogLevel, type PluginOptions, type RouteRules, type SendContinue, type ServerSendContinue } from './schema/compiled'
import { FST_ERR_EXPECT_INVALID_OPTION, FST_ERR_EXPECT_INVALID_ROUTE_CONFIG } from './registration-errors'

export type { LogLevel, PluginOptions, SendContinue, ServerSendContinue }

/**
 * A route's `config.expect`: `false`, or its rules (the check typed with
 * Fastify's request and reply). `& object`: Fastify intersects a route's config
 * with the type it infers from the literal, and `true & { ...all optional }`
 * would let `expect: true` through.
 */
export type RouteExpectConfig = false | (Omit<RouteRules, 'check'> & object & {
  /** Runs before the body is sent; throw (or reject) to refuse the upload with that error. */
  check?: (request: FastifyRequest, reply: FastifyReply) => unknown
})

/**
 * What a route's `config.expect` accepts, as Fastify's route config declares it:
 * RouteExpectConfig, or a type no value has, whose one key is the message
 * TypeScript then prints. Fastify intersects the route config with the literal's
 * own type, so without it a wrong value (`true`, `'yes'`, or `sendContinue:
 * 'immediately'`, which is server-wide only) reads "not assignable to type
 * 'undefined'" or "'false & {...}'"; with it, the error names the field and the
 * values it takes (types/messages.tst.ts). The key is not aliased, so that it is
 * printed in full.
 */
export type RouteExpectField = RouteExpectConfig | {
  readonly 'config.expect takes false or { contentTypes?: string[], check?: (request, reply) => unknown, sendContinue?: "on-read" | "after-checks", maxConcurrentUploads?: number } ("immediately" is a plugin option only)': never
}

/** Options Fastify's own `register()` accepts for every plugin; they are not ours to reject. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

export interface ResolvedOptions {
  readonly sendContinue: ServerSendContinue
  readonly rejectionLogLevel: LogLevel
  readonly lingerTimeout: number
  readonly lingerBytes: number
  readonly maxLingeringSockets: number
}

/** nginx lingers up to 30 s, Go about 0.5 s; the reasons for these are in linger.ts. */
export const LINGER_DEFAULTS = Object.freeze({
  lingerTimeout: 5000,
  lingerBytes: 64 * 1024 * 1024,
  maxLingeringSockets: 1000
})

export function resolvePluginOptions (options: Record<string, unknown>): ResolvedOptions {
  const own = Object.fromEntries(Object.entries(options).filter(([key]) => !REGISTER_OPTIONS.has(key)))
  const problem = describeProblem(schemas.PluginOptions, own, 'an option', 'the options are')
  if (problem !== undefined) throw new FST_ERR_EXPECT_INVALID_OPTION(problem)
  const valid = own as PluginOptions
  return {
    sendContinue: valid.sendContinue ?? 'on-read',
    rejectionLogLevel: valid.rejectionLogLevel ?? 'info',
    lingerTimeout: valid.lingerTimeout ?? LINGER_DEFAULTS.lingerTimeout,
    lingerBytes: valid.lingerBytes ?? LINGER_DEFAULTS.lingerBytes,
    maxLingeringSockets: valid.maxLingeringSockets ?? LINGER_DEFAULTS.maxLingeringSockets
  }
}

export function validateRouteConfig (value: unknown, route: string): RouteExpectConfig {
  const problem = describeProblem(schemas.RouteExpect, value, 'a field of config.expect', 'its fields are')
  if (problem !== undefined) throw new FST_ERR_EXPECT_INVALID_ROUTE_CONFIG(route, problem)
  const config = value as RouteExpectConfig
  if (config !== false) {
    for (const [index, range] of (config.contentTypes ?? []).entries()) {
      if (!isMediaRange(range)) {
        throw new FST_ERR_EXPECT_INVALID_ROUTE_CONFIG(route, `/contentTypes/${index} ${JSON.stringify(range)} is not a media type or range such as "image/png" or "image/*"`)
      }
    }
  }
  return config
}

/** The first problem, in words; an unknown name comes with the known ones (and the likely one). */
function describeProblem (schema: Schema, value: unknown, one: string, all: string): string | undefined {
  const problem = firstProblem(schema, value)
  if (problem === undefined) return undefined
  if (problem.kind === 'value') return problem.path === '' ? problem.message : `${problem.path} ${problem.message}`
  const likely = closest(problem.key, problem.known)
  return `${problem.path} is not ${one}${likely === undefined ? '' : ` (did you mean ${likely}?)`}; ${all} ${problem.known.join(', ')}`
}
