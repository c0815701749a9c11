// @ts-check
// A gateway on plain node:http that forwards uploads so that the client gets the
// UPSTREAM's answer to `Expect: 100-continue` before it sends its body: the head
// goes upstream with the same expectation, and the client's 100 is written only
// when the upstream sends its own. A refusal (401, 413, 415, 404...) is relayed
// with no 100, so neither hop carries a body byte.
// `node examples/gateway.js` starts the example upload app and this gateway in front.
// Every request is checked first with the package's planForward (the same checks
// as forwardExpectation and expectContinueHandler): a target that leaves the
// upstream, or framing that cannot be forwarded intact, gets 400 and nothing
// goes upstream. Errors are logged with their cause; the client sees no address.
'use strict'
const http = require('node:http')
const { pipeline } = require('node:stream')
const { callUpstream, endToEndHeaders, planForward } = require('../dist/gateway')

/**
 * @param {{ upstream: string, continueTimeout?: number, timeout?: number, agent?: http.Agent, log?: (error: Error) => void }} options
 * @returns {http.Server}
 */
function createGateway (options) {
  const log = options.log ?? ((error) => { console.error(error) })

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {boolean} expectsContinue the request came through 'checkContinue': its 100 is ours to send
   */
  async function forward (req, res, expectsContinue) {
    try {
      const plan = planForward(req, options.upstream)
      const answer = await callUpstream({
        url: plan.url,
        method: req.method ?? 'GET',
        headers: plan.headers,
        body: req,
        expectContinue: expectsContinue && plan.expectContinue,
        framing: plan.framing,
        // The upstream said 100 (or stayed silent past continueTimeout): now the client may send.
        onContinue: expectsContinue ? () => { res.writeContinue() } : undefined,
        clientResponse: res,
        continueTimeout: options.continueTimeout,
        timeout: options.timeout,
        agent: options.agent
      })
      const { response } = answer
      if (res.destroyed) {
        response.destroy()
        return
      }
      const headers = /** @type {http.OutgoingHttpHeaders} */ (endToEndHeaders(response.headers))
      // A body not (fully) read: the client connection cannot carry another request.
      if (!answer.bodySent()) headers.connection = 'close'
      res.writeHead(response.statusCode ?? 502, headers)
      pipeline(response, res, () => {})
    } catch (caught) {
      const error = /** @type {Error & { statusCode?: number }} */ (caught)
      const status = error.statusCode ?? 502
      if (status >= 500) log(error)
      if (res.headersSent) {
        res.destroy()
        return
      }
      // The messages of the package's errors name no address (the cause, logged above, does).
      const message = error.statusCode === undefined ? 'Bad Gateway' : error.message
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end(`${message}\n`)
    }
  }

  const server = http.createServer((req, res) => { forward(req, res, false) })
  // With a checkContinue listener Node sends no 100 by itself: forward() decides.
  server.on('checkContinue', (req, res) => { forward(req, res, true) })
  return server
}

module.exports = { createGateway }

if (require.main === module) {
  const { buildUploadApp, TOKEN } = require('./upload-app')
  const upstream = buildUploadApp({ logger: false })
  upstream.listen({ port: 0, host: '127.0.0.1' }).then((origin) => {
    const gateway = createGateway({ upstream: origin })
    gateway.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
      const address = /** @type {import('node:net').AddressInfo} */ (gateway.address())
      const url = `http://${address.address}:${address.port}`
      console.log(`Gateway: ${url} (upstream: ${origin})`)
      console.log(`try: curl -v -H 'expect: 100-continue' -H 'content-type: application/octet-stream' --data-binary @package.json ${url}/files/a.bin`)
      console.log(`     (401 before the body; add -H 'authorization: ${TOKEN}' for the 100 and a 201)`)
    })
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
