// How requests with an expectation, and only they, reach the gate.
//
// Fastify skips its hook runner for a route with no onRequest hook, and even a
// hook that returns at once costs a few percent of a small request. So the gate
// does not stay in routes' hook lists. addHook() puts it in every list; the
// first time it runs for a route it takes itself out, and the route is recorded
// with both lists. While the plugin dispatches a request carrying an
// expectation, every recorded route gets the list with the gate back; after
// the dispatch, the plain one. Dispatch is synchronous from the server's event
// to Fastify reading the route's list, so nothing else runs in between.
//
// Plain data properties, switched in place: an accessor on Fastify's route
// context would slow down every request of the route (measured: +3.5% on GET).
import type { OnRequestHook, RouteContext } from './fastify-internals'

interface GatedRoute {
  readonly context: RouteContext
  readonly plain: OnRequestHook[] | null
  readonly gated: OnRequestHook[]
}

/** One list per registered app, dropped when the app closes. */
const apps = new Set<GatedRoute[]>()

/** Runs `route` (Fastify's request handler) with the gate in every recorded route's hook list. */
export function dispatchExpectation (route: () => void): void {
  for (const routes of apps) for (const r of routes) r.context.onRequest = r.gated
  try {
    route()
  } finally {
    for (const routes of apps) for (const r of routes) r.context.onRequest = r.plain
  }
}

export interface GatedRoutes {
  /**
   * Takes the gate out of the route's onRequest list (Fastify's own list, where
   * addHook put it). The gate runs last in the gated list, after the route's
   * other onRequest hooks, so auth, rate limits and load shedding answer first,
   * as they would without the plugin; on a route that turned the plugin off it
   * runs first, to send the 100 before any hook, as Node does.
   */
  add (context: RouteContext, gate: OnRequestHook, position: 'first' | 'last'): void
  /** The app closed: its routes are no longer switched. */
  release (): void
}

export function createGatedRoutes (): GatedRoutes {
  const routes: GatedRoute[] = []
  apps.add(routes)
  return {
    add (context, gate, position) {
      const others = (context.onRequest as OnRequestHook[]).filter((hook) => hook !== gate)
      const plain = others.length === 0 ? null : others
      routes.push({ context, plain, gated: position === 'last' ? [...others, gate] : [gate, ...others] })
      context.onRequest = plain
    },
    release () {
      apps.delete(routes)
    }
  }
}
