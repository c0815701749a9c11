// The few Fastify internals the plugin relies on, in one place. Fastify keeps
// them behind unexported symbols; we find each by its description once and fail
// loudly at registration if a Fastify release renames one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ParserRegistry } from './route-policy'

export type OnRequestHook = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => unknown

/** The per-route object Fastify keeps behind `request[kRouteContext]`. */
export interface RouteContext {
  onRequest: OnRequestHook[] | null
  readonly config: Record<string | symbol, unknown> & { url?: string, method?: string }
  readonly contentTypeParser: ParserRegistry
  readonly handler: (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown
  readonly server: FastifyInstance
  readonly attachValidation: boolean
  readonly schemaErrorFormatter: (errors: unknown, dataVar: string) => Error
  readonly _parserOptions: { limit: number | null }
}

function findSymbol (target: object, description: string): symbol {
  const found = Object.getOwnPropertySymbols(target).find((s) => s.description === description)
  if (found === undefined) {
    throw new Error(`fastify-expect: this Fastify version has no ${description} (tested with Fastify 5.12); please report it`)
  }
  return found
}

let kRouteContext: symbol | undefined

export function routeContextOf (request: FastifyRequest): RouteContext {
  kRouteContext ??= findSymbol(request, 'fastify.context')
  return (request as unknown as Record<symbol, RouteContext>)[kRouteContext] as RouteContext
}

export function contentTypeParsersOf (instance: FastifyInstance): ParserRegistry {
  const registry = (instance as unknown as Record<symbol, ParserRegistry>)[findSymbol(instance, 'fastify.contentTypeParser')]
  return registry as ParserRegistry
}

/** Extra servers Fastify opens when one `listen()` binds several addresses (localhost: IPv4 and IPv6). */
export function serverBindingsOf (instance: FastifyInstance): readonly unknown[] {
  return (instance as unknown as Record<symbol, unknown[]>)[findSymbol(instance, 'fastify.serverBindings')] as unknown[]
}
