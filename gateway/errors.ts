// What a gateway answers when it will not forward a request, or when the upstream
// leg fails before a response head. No message names the upstream's address: the
// original error stays in `cause`, for the log, not for the client.
import createError from '@fastify/error'

/** 400: the request's framing cannot be forwarded intact (see framing.ts). */
export const FST_ERR_EXPECT_GATEWAY_FRAMING = createError(
  'FST_ERR_EXPECT_GATEWAY_FRAMING',
  'Bad Request: the body cannot be forwarded with its framing intact (%s)',
  400
)

/** 400: the upstream path would leave the upstream's base path, or is not in origin form (see target.ts). */
export const FST_ERR_EXPECT_GATEWAY_TARGET = createError(
  'FST_ERR_EXPECT_GATEWAY_TARGET',
  'Bad Request: the request target cannot be forwarded (%s)',
  400
)

/** 502: the upstream could not be reached, broke off before its response head, or answered what cannot be relayed. */
export const FST_ERR_EXPECT_GATEWAY_UPSTREAM = createError(
  'FST_ERR_EXPECT_GATEWAY_UPSTREAM',
  'Bad Gateway: the upstream failed (%s)',
  502
)

/** 504: the upstream stayed silent longer than the gateway's timeout. */
export const FST_ERR_EXPECT_GATEWAY_TIMEOUT = createError(
  'FST_ERR_EXPECT_GATEWAY_TIMEOUT',
  'Gateway Timeout: no response from the upstream within %d ms',
  504
)

/** A reason for a 502 that names no address: the error's code (ECONNREFUSED...) or a fixed word. */
export function upstreamFailure (error: Error): InstanceType<typeof FST_ERR_EXPECT_GATEWAY_UPSTREAM> {
  const code = (error as { code?: unknown }).code
  return new FST_ERR_EXPECT_GATEWAY_UPSTREAM(typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'connection error', { cause: error })
}
