// The ES module side of ts-hook.js: Node loads a test file, the entry point, as an ES module when
// tap's --import hooks are present; a .ts file here is CommonJS (package.json has no "type"), so
// it is handed to Node's CommonJS loader, where ts-hook.js transpiles it (no source: Node then
// loads it with require()).
export async function load (url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts')) return { format: 'commonjs', shortCircuit: true }
  return nextLoad(url, context)
}
