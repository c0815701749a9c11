// Generated from source.ts by `npm run schema:compile` (compile.js): do not edit.
// The TypeBox schemas as plain JSON Schema (check.ts reads them) and the types
// TypeBox's Static<> gives them (types/schema.tst.ts asserts they are the same).
import type { Schema } from './check'

export const schemas = {
  SendContinue: { anyOf: [{ const: 'on-read', type: 'string' }, { const: 'after-checks', type: 'string' }] },
  ServerSendContinue: {
    anyOf: [
      { const: 'on-read', type: 'string' },
      { const: 'after-checks', type: 'string' },
      { const: 'immediately', type: 'string' }
    ]
  },
  LogLevel: {
    anyOf: [
      { const: 'fatal', type: 'string' },
      { const: 'error', type: 'string' },
      { const: 'warn', type: 'string' },
      { const: 'info', type: 'string' },
      { const: 'debug', type: 'string' },
      { const: 'trace', type: 'string' },
      { const: 'silent', type: 'string' }
    ]
  },
  PluginOptions: {
    additionalProperties: false,
    type: 'object',
    properties: {
      sendContinue: {
        anyOf: [
          { const: 'on-read', type: 'string' },
          { const: 'after-checks', type: 'string' },
          { const: 'immediately', type: 'string' }
        ]
      },
      rejectionLogLevel: {
        anyOf: [
          { const: 'fatal', type: 'string' },
          { const: 'error', type: 'string' },
          { const: 'warn', type: 'string' },
          { const: 'info', type: 'string' },
          { const: 'debug', type: 'string' },
          { const: 'trace', type: 'string' },
          { const: 'silent', type: 'string' }
        ]
      },
      lingerTimeout: { minimum: 0, type: 'integer' },
      lingerBytes: { minimum: 0, type: 'integer' },
      maxLingeringSockets: { minimum: 0, type: 'integer' },
      maxConcurrentUploads: { minimum: 1, type: 'integer' },
      admissionTimeout: { minimum: 0, type: 'integer' },
      admission: { anyOf: [{ const: 'refuse', type: 'string' }, { const: 'queue', type: 'string' }] }
    }
  },
  RouteRules: {
    additionalProperties: false,
    type: 'object',
    properties: {
      contentTypes: { minItems: 1, type: 'array', items: { type: 'string' } },
      check: { type: 'Function' },
      sendContinue: { anyOf: [{ const: 'on-read', type: 'string' }, { const: 'after-checks', type: 'string' }] },
      maxConcurrentUploads: { minimum: 1, type: 'integer' }
    }
  },
  RouteExpect: {
    anyOf: [
      { const: false, type: 'boolean' },
      {
        additionalProperties: false,
        type: 'object',
        properties: {
          contentTypes: { minItems: 1, type: 'array', items: { type: 'string' } },
          check: { type: 'Function' },
          sendContinue: {
            anyOf: [{ const: 'on-read', type: 'string' }, { const: 'after-checks', type: 'string' }]
          },
          maxConcurrentUploads: { minimum: 1, type: 'integer' }
        }
      }
    ]
  }
} as const satisfies Record<string, Schema>

/** When the 100 Continue is written for an accepted request of this route: on the first read of the body, or once the route's rules pass */
export type SendContinue = 'on-read' | 'after-checks'

/** When the 100 Continue is written: on the first read, once the route's rules pass, or at once (before any hook, as Node does) */
export type ServerSendContinue = 'on-read' | 'after-checks' | 'immediately'

/** Log level of the line written for each request refused before its body */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export type PluginOptions = {
  /** When the 100 Continue is written: on the first read, once the route's rules pass, or at once (before any hook, as Node does) */
  sendContinue?: 'on-read' | 'after-checks' | 'immediately'
  /** Log level of the line written for each request refused before its body */
  rejectionLogLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Milliseconds a connection answered before its body keeps reading (and discarding) after the response; 0 closes at once, as Node does */
  lingerTimeout?: number
  /** Bytes read and discarded at most from such a connection before it is closed */
  lingerBytes?: number
  /** Connections lingering at once at most; past it a connection closes at once, as Node does */
  maxLingeringSockets?: number
  /** Request bodies received at once at most, server-wide; at capacity an upload waits for a slot (without its 100) or gets 503 */
  maxConcurrentUploads?: number
  /** Milliseconds a request waits for an upload slot before 503 with Retry-After (default 800: below the 1 s curl and Go wait before sending anyway) */
  admissionTimeout?: number
  /** At capacity, a request without Expect gets 503 before its body is read (refuse), or its connection is not read until a slot frees or the timeout passes (queue) */
  admission?: 'refuse' | 'queue'
}

export type RouteRules = {
  /** Media types this route accepts; others get 415 before the body */
  contentTypes?: Array<string>
  /** (request, reply) => void | Promise<void>: throw or reject to refuse the upload before its body */
  check?: (arg0: any, arg1: any) => unknown
  /** When the 100 Continue is written for an accepted request of this route: on the first read of the body, or once the route's rules pass */
  sendContinue?: 'on-read' | 'after-checks'
  /** Request bodies this route receives at once at most: its own slots, instead of the server's */
  maxConcurrentUploads?: number
}

export type RouteExpect = false | RouteRules
