// Routes declared before the plugin loaded: its onRoute hook never saw them, so
// their rules are not applied before the body. Fastify lists routes only as
// printRoutes()'s tree (public API); this reads the tree back into route names
// ("GET /metrics", as the plugin names the routes it saw) for printExpectRules().
const LINE = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/u

/** Route names from printRoutes({ commonPrefix: false }); HEAD is left out where GET is there (Fastify adds it). */
export function routesFromTree (tree: string): string[] {
  const segments: string[] = []
  const names: string[] = []
  for (const line of tree.split('\n')) {
    const found = LINE.exec(line)
    if (found === null) continue
    const depth = (found[1] ?? '').length / 4
    segments.length = depth
    segments.push(found[2] ?? '')
    if (found[3] === undefined) continue
    const methods = found[3].split(', ')
    const shown = methods.includes('GET') ? methods.filter((method) => method !== 'HEAD') : methods
    names.push(`${shown.join(',')} ${segments.join('')}`)
  }
  return names
}
