'use strict'
// require('fastify-expect/gateway'): the gateway helpers (source: plugin/gateway.ts).
module.exports = require('./dist/gateway')
