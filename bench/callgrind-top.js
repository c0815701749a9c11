// @ts-check
// Where a window's instructions go, from the dumps `bench/instructions.js --keep DIR`
// writes (one per process, round and kind): the functions with the most
// instructions of their own (callgrind_annotate), and totals for the groups that
// tell a layout problem from plain work: V8's megamorphic inline caches (stub
// cache lookups), runtime calls (Runtime_*: the slow paths, such as
// Runtime_DefineKeyedOwnPropertyInLiteral), the garbage collector, and JIT code
// (which valgrind cannot name: ???).
//
//   node bench/callgrind-top.js DUMP [DUMP2] [--top 25] [--per 300]
//   (--per N: instructions per request, N requests in the window; two dumps: side by side)
'use strict'
const { execFileSync } = require('node:child_process')

const arg = (/** @type {string} */ name, /** @type {number} */ fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const TOP = arg('top', 25)
const PER = arg('per', 1)
const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'))

/** @type {Array<[string, RegExp]>} */
const GROUPS = [
  ['megamorphic IC (stub cache)', /Megamorphic|StubCache/],
  ['runtime calls', /Runtime_/],
  ['garbage collector', /Scaveng|MarkCompact|Heap::|Sweeper|Marking|Evacuat/],
  ['JIT code (???)', /^\?\?\?/]
]

/** @param {string} file @returns {Map<string, number>} instructions by function */
function byFunction (file) {
  const out = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const found = new Map()
  for (const line of out.split('\n')) {
    const match = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+?)\s*$/.exec(line)
    const [, count = '0', fn = ''] = match ?? []
    if (match === null || fn === 'PROGRAM TOTALS' || fn.startsWith('file:function')) continue
    const name = fn.replace(/^[^:]*:/, (p) => p.includes('/') || p === '???:' ? '' : p)
    found.set(name, (found.get(name) ?? 0) + Number(count.replace(/,/g, '')))
  }
  return found
}

const maps = files.map(byFunction)
const fmt = (/** @type {number} */ n) => Math.round(n / PER).toLocaleString('en')
const first = maps[0] ?? new Map()
const names = [...new Set(maps.flatMap((m) => [...m.keys()]))]
  .sort((x, y) => Math.max(...maps.map((m) => m.get(y) ?? 0)) - Math.max(...maps.map((m) => m.get(x) ?? 0)))
console.log(`| function | ${files.map((f) => f.split('/').pop()).join(' | ')} |`)
console.log(`| --- | ${files.map(() => '---').join(' | ')} |`)
for (const name of names.slice(0, TOP)) console.log(`| ${name.slice(0, 90)} | ${maps.map((m) => fmt(m.get(name) ?? 0)).join(' | ')} |`)
for (const [label, pattern] of GROUPS) {
  const sums = maps.map((m) => [...m].filter(([n]) => pattern.test(n)).reduce((s, [, v]) => s + v, 0))
  console.log(`| **${label}** | ${sums.map(fmt).join(' | ')} |`)
}
console.log(`| **total** | ${maps.map((m) => fmt([...m.values()].reduce((s, v) => s + v, 0))).join(' | ')} |`)
if (first.size === 0) console.log('(no functions read: is callgrind_annotate installed, and the file a callgrind dump?)')
