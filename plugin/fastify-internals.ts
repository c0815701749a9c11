// The few Fastify internals the plugin relies on, in one place. Fastify keeps
// them behind unexported symbols; we find each by its description once and fail
// loudly at registration if a Fastify release renames one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ParserRegistry } from './route-policy'

export type OnRequestHook = (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => unknown

/** The per-route object Fastify keeps behind `request[kRouteContext]`. */
export interface RouteContext {
  onRequest: OnRequestHook[] | null
  readonly config: Record<string | symbol, unknown> & { url: string, method: string }
  readonly contentTypeParser: ParserRegistry
  readonly handler: (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown
  readonly server: FastifyInstance
  readonly attachValidation: boolean
  readonly schemaErrorFormatter: (errors: unknown, dataVar: string) => Error
  readonly _parserOptions: { limit: number | null }
}

const symbols = new Map<string, symbol>()

/** Finds a symbol-keyed property on the object or its prototypes (child instances inherit the root's). */
function findSymbol (target: object, description: string): symbol {
  const known = symbols.get(description)
  if (known !== undefined) return known
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const found = Object.getOwnPropertySymbols(o).find((s) => s.description === description)
    if (found !== undefined) {
      symbols.set(description, found)
      return found
    }
  }
  throw new Error(`fastify-expect: this Fastify version has no ${description} (tested with Fastify 5.12); please report it`)
}

export function routeContextOf (request: FastifyRequest): RouteContext {
  return (request as unknown as Record<symbol, RouteContext>)[findSymbol(request, 'fastify.context')] as RouteContext
}

export function contentTypeParsersOf (instance: FastifyInstance): ParserRegistry {
  const registry = (instance as unknown as Record<symbol, ParserRegistry>)[findSymbol(instance, 'fastify.contentTypeParser')]
  return registry as ParserRegistry
}

/** Extra servers Fastify opens when one `listen()` binds several addresses (localhost: IPv4 and IPv6). */
export function serverBindingsOf (instance: FastifyInstance): readonly unknown[] {
  return (instance as unknown as Record<symbol, unknown[]>)[findSymbol(instance, 'fastify.serverBindings')] as unknown[]
}

/** The app's sets of methods with and without a body (`fastify.addHttpMethod()` can change them). */
export function bodylessMethodsOf (instance: FastifyInstance): ReadonlySet<string> {
  const methods = (instance as unknown as Record<symbol, { bodyless: Set<string> }>)[findSymbol(instance, 'fastify.acceptedHTTPMethods')]
  return (methods as { bodyless: Set<string> }).bodyless
}
