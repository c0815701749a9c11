// `npm run schema:compile`: turns the TypeBox schemas of source.ts into
// compiled.ts, which the published package ships instead of TypeBox: the schemas
// as plain JSON Schema (for check.ts) and the TypeScript types TypeBox's Static<>
// gives them, with their descriptions as doc comments. `--check` only compares
// (test/plugin/schema.test.ts fails when compiled.ts is stale).
'use strict'
const { readFileSync, writeFileSync } = require('node:fs')
const Module = require('node:module')
const { join } = require('node:path')
const ts = require('typescript')
const { Kind, OptionalKind } = require('@sinclair/typebox')

const here = __dirname
const target = join(here, 'compiled.ts')

/** source.ts, transpiled and loaded (no TypeScript runner needed). */
function loadSource () {
  const filename = join(here, 'source.ts')
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }
  })
  const loaded = new Module(filename)
  loaded.filename = filename
  loaded.paths = Module._nodeModulePaths(here)
  loaded._compile(outputText, filename)
  return loaded.exports.schemas
}

/** The JSON Schema check.ts reads: TypeBox's own keys minus descriptions and a function's signature. */
function plain (schema) {
  if (Array.isArray(schema)) return schema.map(plain)
  if (typeof schema !== 'object' || schema === null) return schema
  const out = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' || (schema[Kind] === 'Function' && (key === 'parameters' || key === 'returns'))) continue
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([name, property]) => [name, plain(property)])) : plain(value)
  }
  return out
}

/** A JavaScript literal in the project's style (single quotes, no trailing commas). */
function literal (value, indent = '') {
  const inner = `${indent}  `
  const flat = oneLine(value)
  if (indent.length + flat.length <= 100) return flat
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[\n${value.map((item) => inner + literal(item, inner)).join(',\n')}\n${indent}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    if (entries.length === 0) return '{}'
    return `{\n${entries.map(([key, item]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: ${literal(item, inner)}`).join(',\n')}\n${indent}}`
  }
  return typeof value === 'string' ? `'${value.replaceAll('\\', '\\\\').replaceAll('\'', '\\\'')}'` : String(value)
}

function oneLine (value) {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
    return entries.length === 0 ? '{}' : `{ ${entries.map(([key, item]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: ${oneLine(item)}`).join(', ')} }`
  }
  return typeof value === 'string' ? `'${value.replaceAll('\\', '\\\\').replaceAll('\'', '\\\'')}'` : String(value)
}

const doc = (schema, indent) => schema.description === undefined ? '' : `${indent}/** ${schema.description.replaceAll('*/', '*\\/')} */\n`

/** The type Static<> gives a schema; a schema that is one of the named ones is printed by its name. */
function typeOf (schema, names, indent = '') {
  const named = names.get(schema)
  if (named !== undefined) return named
  switch (schema[Kind]) {
    case 'Union': return schema.anyOf.map((branch) => typeOf(branch, names, indent)).join(' | ')
    case 'Literal': return typeof schema.const === 'string' ? `'${schema.const}'` : String(schema.const)
    case 'String': return 'string'
    case 'Integer': case 'Number': return 'number'
    case 'Boolean': return 'boolean'
    case 'Any': return 'any'
    case 'Unknown': return 'unknown'
    case 'Array': return `Array<${typeOf(schema.items, names, indent)}>`
    case 'Function': return `(${schema.parameters.map((parameter, index) => `arg${index}: ${typeOf(parameter, names, indent)}`).join(', ')}) => ${typeOf(schema.returns, names, indent)}`
    case 'Object': {
      const inner = `${indent}  `
      const fields = Object.entries(schema.properties).map(([key, property]) =>
        `${doc(property, inner)}${inner}${key}${property[OptionalKind] === 'Optional' ? '?' : ''}: ${typeOf(property, names, inner)}`)
      return `{\n${fields.join('\n')}\n${indent}}`
    }
    default: throw new Error(`schema:compile: no type for TypeBox kind ${schema[Kind]}`)
  }
}

function compile () {
  const schemas = loadSource()
  const names = new Map(Object.entries(schemas).map(([name, schema]) => [schema, name]))
  const json = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, plain(schema)]))
  const types = Object.entries(schemas).map(([name, schema]) => {
    const others = new Map([...names].filter(([s]) => s !== schema))
    return `${doc(schema, '')}export type ${name} = ${typeOf(schema, others)}`
  })
  return [
    '// Generated from source.ts by `npm run schema:compile` (compile.js): do not edit.',
    '// The TypeBox schemas as plain JSON Schema (check.ts reads them) and the types',
    '// TypeBox\'s Static<> gives them (types/schema.tst.ts asserts they are the same).',
    'import type { Schema } from \'./check\'',
    '',
    `export const schemas = ${literal(json)} as const satisfies Record<string, Schema>`,
    '',
    ...types.flatMap((type) => [type, ''])
  ].join('\n')
}

const text = compile()
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    console.error('plugin/schema/compiled.ts is stale: run npm run schema:compile')
    process.exit(1)
  }
} else {
  writeFileSync(target, text)
}
