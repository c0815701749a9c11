// How requests with an expectation, and only they, reach the gate.
//
// Fastify skips its hook runner for a route with no onRequest hook, and even a
// hook that returns at once costs a few percent of a small request. So the gate
// does not stay in routes' hook lists. addHook() puts it in every list; the
// first time it runs for a route it takes itself out and leaves an accessor
// that hands Fastify the list with the gate only while the plugin dispatches a
// request carrying an expectation. Dispatch is synchronous from the server's
// event to Fastify reading the route's list, so a flag set around it suffices.
import type { OnRequestHook, RouteContext } from './fastify-internals'

let dispatchingExpectation = false

/** Runs `route` (Fastify's request handler) with the gate in every route's hook list. */
export function dispatchExpectation (route: () => void): void {
  dispatchingExpectation = true
  try {
    route()
  } finally {
    dispatchingExpectation = false
  }
}

const gatedRoutes = new WeakSet<RouteContext>()

export function isGated (context: RouteContext): boolean {
  return gatedRoutes.has(context)
}

/**
 * Takes the gate out of the route's onRequest list (Fastify's own list, where
 * addHook put it) and installs the accessor. The gate runs last in the gated
 * list, after the route's other onRequest hooks, so auth, rate limits and load
 * shedding answer first, as they would without the plugin.
 */
export function gateRoute (context: RouteContext, isGate: (hook: OnRequestHook) => boolean): void {
  let plain: OnRequestHook[] | null = null
  let gated: OnRequestHook[] = []
  const set = (hooks: OnRequestHook[] | null): void => {
    const all = hooks ?? []
    const gate = all.find(isGate) ?? gated[gated.length - 1]
    const others = all.filter((hook) => !isGate(hook))
    plain = others.length === 0 ? null : others
    gated = gate === undefined ? others : [...others, gate]
  }
  set(context.onRequest)
  Object.defineProperty(context, 'onRequest', {
    configurable: true,
    enumerable: true,
    get: () => dispatchingExpectation ? gated : plain,
    set
  })
  gatedRoutes.add(context)
}
