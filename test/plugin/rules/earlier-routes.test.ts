// Routes declared before the plugin loaded are listed by printExpectRules(),
// marked as not covered, read back from Fastify's printRoutes() tree.
import t from 'tap'
import Fastify from 'fastify'
import { routesFromTree } from '../../../plugin/rules/earlier-routes'
import { expectPlugin } from '../../helpers/server'

t.test('routesFromTree: names from the tree, with full paths', async (t) => {
  const app = Fastify()
  app.get('/metrics', async () => 'm')
  app.put('/files/:name', async () => 'f')
  app.post('/files/:name/parts', async () => 'p')
  app.route({ method: ['PUT', 'POST'], url: '/up', handler: async () => 'u' })
  app.get('/', async () => 'root')
  app.head('/only-head', async () => '')
  await app.ready()
  t.same(routesFromTree(app.printRoutes({ commonPrefix: false })).sort(), [
    'GET /', 'GET /metrics', 'HEAD /only-head', 'POST /files/:name/parts', 'PUT /files/:name', 'PUT,POST /up'
  ])
  t.same(routesFromTree('(empty tree)'), [])
  t.same(routesFromTree('not a tree\n'), [], 'lines it cannot read are left out')
})

t.test('printExpectRules lists routes declared before the plugin as not covered', async (t) => {
  const app = Fastify()
  app.register(expectPlugin) // not awaited: the routes below come before it loads
  app.get('/metrics', async () => 'm')
  app.put('/upload', { bodyLimit: 10 }, async () => 'u')
  app.register(async (child) => { child.put('/later', { bodyLimit: 10 }, async () => 'l') })
  await app.ready()
  t.teardown(() => app.close())
  t.equal(app.printExpectRules(), [
    'GET /metrics: not covered (declared before fastify-expect loaded)',
    'PUT /upload: not covered (declared before fastify-expect loaded)',
    'PUT /later: bodyLimit 10',
    ''
  ].join('\n'))
})

t.test('printExpectRules with the plugin first lists nothing as not covered', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  app.put('/upload', { bodyLimit: 10 }, async () => 'u')
  await app.ready()
  t.teardown(() => app.close())
  t.notMatch(app.printExpectRules(), /not covered/)
})
