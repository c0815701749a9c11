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

/**
 * Takes the gate out of the route's onRequest list (Fastify's own list, where
 * addHook put it) and installs the accessor. The gate runs last in the gated
 * list, after the route's other onRequest hooks, so auth, rate limits and load
 * shedding answer first, as they would without the plugin; on a route that
 * turned the plugin off it runs first, to send the 100 before any hook, as Node does.
 */
export function gateRoute (context: RouteContext, gate: OnRequestHook, position: 'first' | 'last'): void {
  const others = (context.onRequest ?? []).filter((hook) => hook !== gate)
  const plain = others.length === 0 ? null : others
  const gated = position === 'last' ? [...others, gate] : [gate, ...others]
  // No setter: Fastify writes the list once, before the first request; a later write should fail loudly.
  Object.defineProperty(context, 'onRequest', {
    configurable: true,
    enumerable: true,
    get: () => dispatchingExpectation ? gated : plain
  })
}
