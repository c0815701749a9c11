// The three Fastify internals the plugin reads, each resolved once at registration,
// by the symbol's description. Without either, registration logs a warning and
// the plugin does without: no request depends on them.
import type { FastifyInstance } from 'fastify'
import type { SchemaErrorFormatter } from '../rules/header-schema'

function findSymbol (target: object, description: string): symbol | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const found = Object.getOwnPropertySymbols(o).find((s) => s.description === description)
    if (found !== undefined) return found
  }
  return undefined
}

export interface Internals {
  /** Extra servers one `listen()` opens for several addresses (localhost: IPv4 and IPv6). */
  serverBindings (instance: FastifyInstance): readonly unknown[]
  /** An instance's schemaErrorFormatter (`setSchemaErrorFormatter`), for header errors given early. */
  schemaErrorFormatter (instance: FastifyInstance): SchemaErrorFormatter | undefined
  /** Whether the parser an instance picks for a media type takes the stream (no size limit of Fastify's); undefined when unknown. */
  streams (instance: FastifyInstance, mediaType: string): boolean | undefined
}

interface ParserRegistry { getParser?: (contentType: string) => { asString?: boolean, asBuffer?: boolean } | undefined }

export function resolveInternals (fastify: FastifyInstance, warn: (message: string) => void): Internals {
  const kBindings = findSymbol(fastify, 'fastify.serverBindings')
  const kFormatter = findSymbol(fastify, 'fastify.schemaErrorFormatter')
  const kParsers = findSymbol(fastify, 'fastify.contentTypeParser')
  if (kBindings === undefined) warn('fastify-expect: Fastify internal "fastify.serverBindings" not found: servers that listen() opens for extra addresses keep Node\'s own expectation handling')
  if (kParsers === undefined) warn('fastify-expect: Fastify internal "fastify.contentTypeParser" not found: no start-up warning for streaming parsers without a route bodyLimit')
  if (kFormatter === undefined) warn('fastify-expect: Fastify internal "fastify.schemaErrorFormatter" not found: header errors given before the body use Fastify\'s default message format')
  const read = <T>(key: symbol | undefined, instance: FastifyInstance): T | undefined =>
    key === undefined ? undefined : (instance as unknown as Record<symbol, T>)[key]
  return {
    serverBindings: (instance) => read<unknown[]>(kBindings, instance) ?? [],
    schemaErrorFormatter: (instance) => read<SchemaErrorFormatter>(kFormatter, instance),
    streams (instance, mediaType) {
      const registry = read<ParserRegistry>(kParsers, instance)
      if (typeof registry?.getParser !== 'function') return undefined
      const parser = registry.getParser(mediaType)
      return parser === undefined ? undefined : parser.asString !== true && parser.asBuffer !== true
    }
  }
}
