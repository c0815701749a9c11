// Types of require('fastify-expect/gateway').
export * from './dist/gateway'
