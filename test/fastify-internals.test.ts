// The Fastify internals the plugin relies on are found by description, and a
// Fastify without one fails loudly, naming it, instead of misbehaving.
import t from 'tap'
import Fastify from 'fastify'
import { bodylessMethodsOf, contentTypeParsersOf, serverBindingsOf } from '../plugin/fastify-internals'

t.test('a missing internal is named in the error', async (t) => {
  t.throws(() => bodylessMethodsOf({} as never), /fastify-expect: this Fastify version has no fastify\.acceptedHTTPMethods/)
})

t.test('found on the root and on child instances', async (t) => {
  const app = Fastify()
  t.same([...bodylessMethodsOf(app)].sort(), ['GET', 'HEAD', 'TRACE'])
  app.register(async (child) => {
    t.equal(bodylessMethodsOf(child), bodylessMethodsOf(app), 'inherited from the root')
    t.equal(typeof contentTypeParsersOf(child).getParser, 'function')
  })
  await app.ready()
  t.same(serverBindingsOf(app), [])
  await app.close()
})
