// fastify.inject() has no socket, so no server event: requests injected with an
// Expect header are dispatched through the gate here, so that apps can unit-test
// their upload rules and get the same final statuses (without a 100).
import type { FastifyInstance } from 'fastify'
import inject from 'light-my-request'
import { trackExpectation } from './continue'
import { dispatchExpectation } from './dispatch'

export function injectThroughGate (fastify: FastifyInstance): void {
  const original = fastify.inject
  const dispatch = (req: any, res: any): void => {
    fastify.ready((err) => {
      if (err != null) {
        res.emit('error', err)
        return
      }
      if (req.headers.expect === undefined) {
        fastify.routing(req, res)
        return
      }
      trackExpectation(req, undefined) // no socket: no 100 to send
      dispatchExpectation(() => fastify.routing(req, res))
    })
  }
  // Once closing, Fastify's own inject() answers (with its "server closed" error).
  let closing = false
  fastify.addHook('preClose', (done) => {
    closing = true
    done()
  })
  fastify.inject = function injectWithExpectations (this: FastifyInstance, options?: any, callback?: any): any {
    // The chain form (no options) only shows its headers at dispatch.
    if (closing || (options !== undefined && !carriesExpect(options))) {
      return (original as (...args: unknown[]) => unknown).call(this, options, callback)
    }
    return inject(dispatch, options, callback)
  } as FastifyInstance['inject']
}

/** inject() takes a URL string or an options object whose headers may name Expect in any case. */
function carriesExpect (options: unknown): boolean {
  const headers: unknown = typeof options === 'object' ? Object(options).headers : undefined
  return typeof headers === 'object' && headers !== null &&
    Object.keys(headers).some((name) => name.toLowerCase() === 'expect')
}
