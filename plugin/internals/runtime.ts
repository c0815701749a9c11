// The JavaScript runtime, detected once at registration. Bun and Deno run Fastify
// and the plugin through their node:http; what they do differently (measured by
// test/runtimes/) becomes one start-up warning, never an error.
export interface Runtime {
  readonly name: 'node' | 'bun' | 'deno'
  readonly version: string
}

interface DenoGlobal { version?: { deno?: string } }

export function detectRuntime (versions: NodeJS.ProcessVersions = process.versions, global: { Deno?: DenoGlobal } = globalThis as { Deno?: DenoGlobal }): Runtime {
  // Bun and Deno both fill process.versions.node: ask for them first.
  const bun = (versions as { bun?: string }).bun
  if (bun !== undefined) return { name: 'bun', version: bun }
  if (global.Deno !== undefined) return { name: 'deno', version: global.Deno.version?.deno ?? (versions as { deno?: string }).deno ?? 'unknown' }
  return { name: 'node', version: versions.node }
}

const HOOK_REFUSAL = 'a refusal from a hook (onRequest, preValidation...) keeps the connection open, where Node closes it: the runtime reads the body the request announced from that connection, as body, never as a request, so a client that neither sends its body nor closes waits on that connection until the server\'s timeouts end it'

/** What the plugin cannot do on this runtime, as a start-up warning (none on Node). */
export function runtimeWarning (runtime: Runtime): string | undefined {
  switch (runtime.name) {
    case 'bun':
      return `fastify-expect runs on Bun ${runtime.version}: answers come before the body as on Node, but (1) the staged close of connections refused before their body does not take effect on Bun's sockets: a client that sends a large body without waiting for the 100 may get a reset instead of the refusal; (2) ${HOOK_REFUSAL}. See "Supported versions" in the README.`
    case 'deno':
      return `fastify-expect runs on Deno ${runtime.version}: answers come before the body as on Node, but ${HOOK_REFUSAL}. See "Supported versions" in the README.`
    default:
      return undefined
  }
}
