// The run-time check of options and route config, over the plain JSON schemas of
// compiled.ts (generated from the TypeBox schemas in source.ts). It knows the
// few keywords those schemas use, and agrees with TypeBox's Value.Check on them
// (test/plugin/schema.test.ts compares the two on generated values). It runs only
// at registration; what it returns is the first problem, worded for people.
export interface Schema {
  readonly const?: unknown
  readonly type?: string
  readonly anyOf?: readonly Schema[]
  readonly properties?: Readonly<Record<string, Schema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean
  readonly items?: Schema
  readonly minItems?: number
  readonly minimum?: number
}

export type Problem =
  | { readonly path: string, readonly kind: 'value', readonly message: string }
  | { readonly path: string, readonly kind: 'unknown', readonly key: string, readonly known: readonly string[] }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The first way `value` fails `schema`, or undefined when it passes. */
export function firstProblem (schema: Schema, value: unknown, path = ''): Problem | undefined {
  const wrong = (message: string): Problem => ({ path, kind: 'value', message })
  if (schema.anyOf !== undefined) return unionProblem(schema.anyOf, value, path)
  if (schema.const !== undefined) return value === schema.const ? undefined : wrong(`must be ${JSON.stringify(schema.const)}`)
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? undefined : wrong('must be a string')
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return wrong('must be an integer')
      return schema.minimum === undefined || value >= schema.minimum ? undefined : wrong(`must be ${schema.minimum} or more`)
    case 'Function':
      return typeof value === 'function' ? undefined : wrong('must be a function')
    case 'array': {
      if (!Array.isArray(value)) return wrong('must be an array')
      if (schema.minItems !== undefined && value.length < schema.minItems) return wrong(`must have at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`)
      for (const [index, item] of value.entries()) {
        const problem = schema.items === undefined ? undefined : firstProblem(schema.items, item, `${path}/${index}`)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    case 'object':
      return objectProblem(schema, value, path)
    default:
      return undefined
  }
}

function objectProblem (schema: Schema, value: unknown, path: string): Problem | undefined {
  if (!isRecord(value)) return { path, kind: 'value', message: 'must be an object' }
  const properties = schema.properties ?? {}
  const known = Object.keys(properties)
  for (const key of Object.keys(value)) {
    if (schema.additionalProperties === false && !Object.hasOwn(properties, key)) return { path: `${path}/${key}`, kind: 'unknown', key, known }
  }
  for (const [key, property] of Object.entries(properties)) {
    // Optional fields may be absent or undefined (TypeBox's default policy).
    if (value[key] === undefined) {
      if (schema.required?.includes(key) === true) return { path: `${path}/${key}`, kind: 'value', message: 'is required' }
      continue
    }
    const problem = firstProblem(property, value[key], `${path}/${key}`)
    if (problem !== undefined) return problem
  }
  return undefined
}

/** A union names the values it takes; an object given where one branch is an object is checked against that branch. */
function unionProblem (branches: readonly Schema[], value: unknown, path: string): Problem | undefined {
  if (branches.some((branch) => firstProblem(branch, value, path) === undefined)) return undefined
  const objects = branches.filter((branch) => branch.type === 'object')
  const [object] = objects
  if (isRecord(value) && objects.length === 1 && object !== undefined) return objectProblem(object, value, path)
  const names = branches.map((branch) => branch.const !== undefined ? JSON.stringify(branch.const) : `an object (${Object.keys(branch.properties ?? {}).join(', ')})`)
  const message = branches.every((branch) => branch.const !== undefined) ? `must be one of ${names.join(', ')}` : `must be ${names.join(' or ')}`
  return { path, kind: 'value', message }
}

/** The known name a mistyped one most likely meant (same letters in another case, or two edits away at most). */
export function closest (name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase()
  return known.find((candidate) => candidate.toLowerCase() === lower) ??
    known.find((candidate) => distance(lower, candidate.toLowerCase()) <= 2)
}

function distance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length] ?? 0
}
