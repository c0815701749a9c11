// What a gateway answers when the upstream leg fails before a response head.
import createError from '@fastify/error'

/** 502: the upstream could not be reached, or broke off before its response head. */
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
