// What TypeScript says to a wrong route config: the field and the values it takes.
import Fastify from 'fastify'
import { expect } from 'tstyche'
import fastifyExpect, { type RouteExpectConfig } from '..'

const app = Fastify()
app.register(fastifyExpect)

expect(app.put('/t', { config: { expect: true } }, async () => 'ok')).type.toRaiseError(
  /Type 'true' is not assignable to type '\{ readonly 'config\.expect takes false or \{ contentTypes\?: string\[\], check\?: \(request, reply\) => unknown, sendContinue\?: "on-read" \| "after-checks", maxConcurrentUploads\?: number \}/
)
expect(app.route({ method: 'PUT', url: '/t', config: { expect: 'yes' }, handler: async () => 'ok' })).type.toRaiseError(
  /config\.expect takes false or \{ contentTypes\?: string\[\]/
)
// A route's sendContinue: 'immediately' is server-wide only.
expect(app.put('/i', { config: { expect: { sendContinue: 'immediately' } } }, async () => 'ok')).type.toRaiseError(
  /Property ''config\.expect takes false or \{ contentTypes\?: string\[\], check\?: \(request, reply\) => unknown, sendContinue\?: "on-read" \| "after-checks", maxConcurrentUploads\?: number \} \("immediately" is a plugin option only\)'' is missing in type '\{ sendContinue: "immediately"; \}'/
)
// Where the value is typed as RouteExpectConfig, TypeScript names the values itself.
expect<RouteExpectConfig>().type.not.toBeAssignableFrom({ sendContinue: 'immediately' as const })
expect(() => { const rules: RouteExpectConfig = { sendContinue: 'immediately' }; return rules }).type.toRaiseError(
  'Type \'"immediately"\' is not assignable to type \'"on-read" | "after-checks" | undefined\''
)
// The valid forms still compile, with the check's parameters typed.
expect(app.put('/ok', { config: { expect: { sendContinue: 'after-checks', check: async (request) => { if (request.headers.a === 'x') throw new Error('no') } } } }, async () => 'ok')).type.not.toRaiseError()
expect(app.put('/off', { config: { expect: false } }, async () => 'ok')).type.not.toRaiseError()
