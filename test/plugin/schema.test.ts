// The published package checks options and route config with schema/check.ts over
// schema/compiled.ts, not with TypeBox: compiled.ts must be what compile.js makes of
// the TypeBox schemas today, and check.ts must say what TypeBox's Value.Check says.
import t from 'tap'
import fc from 'fast-check'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import * as source from '../../plugin/schema/source'
import { schemas as compiled } from '../../plugin/schema/compiled'
import { firstProblem, closest, type Schema } from '../../plugin/schema/check'

const repo = join(__dirname, '..', '..')

t.test('compiled.ts is what npm run schema:compile makes of source.ts', async (t) => {
  const result = await new Promise<{ code: number, stderr: string }>((resolve) => {
    execFile(process.execPath, [join(repo, 'plugin', 'schema', 'compile.js'), '--check'], (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : 1, stderr })
    })
  })
  t.equal(result.code, 0, 'not stale', { stderr: result.stderr })
})

// Values near the schemas' edges: the right names and literals, wrong types, extra keys.
const names = ['sendContinue', 'rejectionLogLevel', 'lingerTimeout', 'lingerBytes', 'maxLingeringSockets', 'contentTypes', 'check', 'prefix', 'foo']
const leaf = fc.oneof(
  fc.constantFrom('on-read', 'after-checks', 'immediately', 'later', 'warn', 'silent', 'image/png', '', undefined, null, true, false, 0, -1, 1.5, 5000, () => {}),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 4 })
)
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...names), tie('value'), { maxKeys: 3 }))
})).value

for (const name of Object.keys(source.schemas) as Array<keyof typeof source.schemas>) {
  t.test(`${name}: check.ts agrees with TypeBox`, async (t) => {
    const typebox = source.schemas[name]
    const plain: Schema = compiled[name]
    fc.assert(fc.property(value, (candidate) => (firstProblem(plain, candidate) === undefined) === Value.Check(typebox, candidate)), { numRuns: 3000 })
    t.pass('3000 generated values')
  })
}

t.test('closest: the known name a typo meant', async (t) => {
  const known = ['sendContinue', 'rejectionLogLevel', 'lingerTimeout']
  t.equal(closest('sendcontinue', known), 'sendContinue', 'case')
  t.equal(closest('sendContinu', known), 'sendContinue', 'one letter short')
  t.equal(closest('lingerTimout', known), 'lingerTimeout')
  t.equal(closest('timeout', known), undefined, 'nothing close')
})
