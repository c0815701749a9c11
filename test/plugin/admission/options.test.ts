// The admission options: validated with the plugin's (TypeBox), defaults here.
import t from 'tap'
import Fastify from 'fastify'
import { expectPlugin } from '../../helpers/server'
import { admissionOptions, ADMISSION_DEFAULTS } from '../../../plugin/admission/admit'

t.test('defaults: off, 800 ms, refuse', async (t) => {
  t.same(admissionOptions({}), { maxConcurrentUploads: undefined, ...ADMISSION_DEFAULTS })
  t.same(ADMISSION_DEFAULTS, { admissionTimeout: 800, admission: 'refuse' })
  t.same(admissionOptions({ maxConcurrentUploads: 4, admissionTimeout: 0, admission: 'queue' }), { maxConcurrentUploads: 4, admissionTimeout: 0, admission: 'queue' })
})

t.test('wrong values make register fail, naming the field', async (t) => {
  for (const [options, message] of [
    [{ maxConcurrentUploads: 0 }, /\/maxConcurrentUploads/],
    [{ maxConcurrentUploads: 1.5 }, /\/maxConcurrentUploads/],
    [{ admissionTimeout: -1 }, /\/admissionTimeout/],
    [{ admission: 'wait' }, /\/admission must be one of "refuse", "queue"/]
  ] as const) {
    const app = Fastify()
    await t.rejects(async () => { await app.register(expectPlugin, options as Record<string, unknown>).ready() }, message, JSON.stringify(options))
    await app.close()
  }
})

t.test('a bad route maxConcurrentUploads makes the route declaration throw', async (t) => {
  const app = Fastify()
  await app.register(expectPlugin)
  t.throws(() => app.put('/x', { config: { expect: { maxConcurrentUploads: 0 } } }, async () => 'ok'), /config\.expect of PUT \/x: \/maxConcurrentUploads/)
  await app.close()
})
