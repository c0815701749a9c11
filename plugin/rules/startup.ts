// At start-up (onReady): one warning per route whose rules cannot work as
// written, and every route's rules, printable as printRoutes() prints routes.
import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Internals } from '../internals/fastify'
import type { ResolvedOptions } from '../options'
import { policyOf, type RoutePolicy } from './route-rules'
import type { MediaRange } from '../decision/media-type'

export interface SeenRoute {
  readonly name: string
  readonly route: RouteOptions
  /** The instance the route was declared in: its content-type parsers are the route's. */
  readonly instance: FastifyInstance
}

/**
 * A declared media type that no parser of the route's context takes (every such
 * upload gets 415), or that a streaming parser takes while the route sets no
 * bodyLimit of its own (no size limit applies, as in Fastify).
 */
export function warnings (seen: readonly SeenRoute[], options: Pick<ResolvedOptions, 'sendContinue'>, streams: Internals['streams'] = () => undefined): string[] {
  // `streams`: whether the parser a type meets takes the stream with no limit of its own (undefined: unknown).
  const found: string[] = []
  for (const { name, route, instance } of seen) {
    const policy = policyOf(route, name, options)
    if (policy === undefined || instance.hasContentTypeParser('*')) continue
    for (const [source, ranges] of [['config.expect.contentTypes', policy.contentTypes], ['schema.body.content', policy.schemaContentTypes]] as const) {
      for (const range of ranges ?? []) {
        // Ranges (image/*) may be served by several parsers: only exact types are checked.
        if (range.type === '*' || range.subtype === '*') continue
        const type = `${range.type}/${range.subtype}`
        if (!instance.hasContentTypeParser(type)) {
          found.push(`fastify-expect: ${name} declares ${type} (${source}) but no content-type parser takes it there: such uploads get 415. Add one with addContentTypeParser('${type}', ...) in the route's plugin, or remove the type.`)
        } else if (policy.bodyLimit === undefined && streams(instance, type) === true) {
          found.push(`fastify-expect: ${name} takes ${type} through a parser that reads the stream, and neither the route nor the parser sets a bodyLimit: no size limit applies to those uploads (Fastify applies none to streaming parsers). Set the route's bodyLimit (or the parser's) to the largest upload it accepts.`)
        }
      }
    }
  }
  return found
}

/**
 * Every route the plugin saw, with the rules it applies before the body; first,
 * the routes declared before it loaded, which it cannot cover.
 */
export function printRules (seen: readonly SeenRoute[], options: Pick<ResolvedOptions, 'sendContinue'>, earlier: readonly string[] = []): string {
  const lines = [
    ...earlier.map((name) => `${name}: not covered (declared before fastify-expect loaded)`),
    ...seen.map(({ name, route }) => `${name}: ${describe(policyOf(route, name, options))}`)
  ]
  return lines.length === 0 ? '(no routes)\n' : `${lines.join('\n')}\n`
}

function describe (policy: RoutePolicy | undefined): string {
  if (policy === undefined) return 'no rules (100 on the first read)'
  const types = (ranges: readonly MediaRange[]): string => ranges.map((r) => `${r.type}/${r.subtype}`).join(', ')
  const rules = [
    policy.contentTypes !== undefined && `types ${types(policy.contentTypes)}`,
    policy.schemaContentTypes !== undefined && `schema types ${types(policy.schemaContentTypes)}`,
    policy.bodyLimit !== undefined && `bodyLimit ${policy.bodyLimit}`,
    policy.headers && 'header schema',
    policy.check !== undefined && 'check',
    policy.sendContinue === 'after-checks' && '100 after the rules'
  ].filter((rule): rule is string => rule !== false)
  return rules.join('; ')
}
