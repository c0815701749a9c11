// Errors thrown at registration (app.register, a route declaration, ready()),
// with codes an app can test for. TypeErrors for bad values, as Node's own
// argument checks; plain Errors for a plugin registered where it cannot work.
import createError from '@fastify/error'

/** A plugin option is unknown or has a value it does not take. */
export const FST_ERR_EXPECT_INVALID_OPTION = createError(
  'FST_ERR_EXPECT_INVALID_OPTION',
  'fastify-expect options: %s',
  500,
  TypeError
)

/** A route's `config.expect` is not `false` or the documented object. */
export const FST_ERR_EXPECT_INVALID_ROUTE_CONFIG = createError(
  'FST_ERR_EXPECT_INVALID_ROUTE_CONFIG',
  'config.expect of %s: %s',
  500,
  TypeError
)

/** Registered inside an encapsulated plugin: its answers cover every route, so it belongs at the root. */
export const FST_ERR_EXPECT_NOT_ROOT = createError(
  'FST_ERR_EXPECT_NOT_ROOT',
  'fastify-expect must be registered on the root instance (app.register(fastifyExpect)), not inside an encapsulated plugin: its answers cover every route of the server, and a route\'s rules are only seen from the root'
)

/** Registered twice for one server. */
export const FST_ERR_EXPECT_ALREADY_REGISTERED = createError(
  'FST_ERR_EXPECT_ALREADY_REGISTERED',
  'fastify-expect is already registered for this server: register it once, at the root'
)

export const registrationErrors = {
  FST_ERR_EXPECT_INVALID_OPTION,
  FST_ERR_EXPECT_INVALID_ROUTE_CONFIG,
  FST_ERR_EXPECT_NOT_ROOT,
  FST_ERR_EXPECT_ALREADY_REGISTERED
}
