// Errors the plugin answers with. Where Fastify has an error for the same
// situation we use Fastify's own class, so an app's error handler sees the same
// error with or without the plugin; only what Fastify cannot say gets a new code.
import createError from '@fastify/error'
import { errorCodes } from 'fastify'

export const {
  FST_ERR_CTP_BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE
} = errorCodes

/** 417: the request lists an expectation this server does not meet (RFC 9110 §15.5.18). */
export const FST_ERR_EXPECTATION_FAILED = createError(
  'FST_ERR_EXPECTATION_FAILED',
  'Expectation Failed: %s',
  417
)

/** 400: the framing headers cannot be trusted (bad or conflicting Content-Length). */
export const FST_ERR_EXPECT_INVALID_FRAMING = createError(
  'FST_ERR_EXPECT_INVALID_FRAMING',
  'Invalid request framing: %s',
  400
)

/** 503: every upload slot is taken (maxConcurrentUploads); the client retries after Retry-After seconds. */
export const FST_ERR_EXPECT_BUSY = createError(
  'FST_ERR_EXPECT_BUSY',
  'Too many uploads in progress: retry after %s s',
  503
)
