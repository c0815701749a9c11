// Hand-written mutants of plugin/ for test/mutate.js: each breaks one documented
// behaviour by changing one line (`find`, which must occur exactly once in the
// file, becomes `replace`). `tests` lists the test files that own the behaviour,
// the likeliest killer first; `equivalent` says why a mutant cannot be observed.
'use strict'

module.exports = [
  // server-events.ts: the only way in for expectation requests
  { id: 'S1', file: 'plugin/server-events.ts', what: 'HTTP/2: no reset after an early answer', find: 'if (request.httpVersionMajor === 2) {', replace: 'if (request.httpVersionMajor === 3) {', tests: ['http2-reset.test.ts'] },
  { id: 'S2', file: 'plugin/server-events.ts', what: 'skip holdPipelined', find: 'holdPipelined(request as IncomingMessage, response as ServerResponse)\n', replace: 'void holdPipelined\n', tests: ['connection-desync.test.ts', 'connection-pipeline.test.ts'] },
  { id: 'S3', file: 'plugin/answer.ts', what: '417 with a body keeps the connection', find: 'if (close) headers.connection = \'close\'', replace: 'if (close) void headers', tests: ['http1.test.ts'] },
  { id: 'S4', file: 'plugin/server-events.ts', what: 'no body framed: skip `_expect_continue = false`', find: 'if (node._expect_continue === true) node._expect_continue = false', replace: 'if (node._expect_continue === true) node._expect_continue = true', tests: ['http1.test.ts'] },
  { id: 'S5', file: 'plugin/server-events.ts', what: 'a valid expectation never waits for the read (no 100)', find: 'continueOnFirstRead(request, state, settled)\n', replace: 'void continueOnFirstRead\n', tests: ['http1.test.ts'] },
  { id: 'S6', file: 'plugin/server-events.ts', what: 'skip linger.adopt', find: 'linger.adopt(request.socket as Socket)', replace: 'void linger', tests: ['http1.test.ts', 'connection-linger.test.ts'] },
  { id: 'S7', file: 'plugin/server-events.ts', what: '417 reported as refused', find: "decision.reason === 'expectation' ? 'expectation-failed' : 'refused'", replace: "decision.reason === 'expectation' ? 'refused' : 'refused'", tests: ['http1.test.ts'] },
  { id: 'S8', file: 'plugin/server-events.ts', what: 'an unknown expectation is not answered', find: 'answer(response, decision.error, request.httpVersionMajor === 1 && (typeof framing === \'string\' || framing.hasBody))', replace: 'void framing', tests: ['http1.test.ts'] },

  // continue.ts: the 100 on the first read
  { id: 'C1', file: 'plugin/continue.ts', what: 'send the 100 when `request.readableLength > 0` (client did not wait)', find: 'if (request.readableLength === 0 && !request.complete) {', replace: 'if (!request.complete) {', tests: ['continue-edges.test.ts', 'http1.test.ts', 'connection-desync.test.ts'] },
  { id: 'C2', file: 'plugin/continue.ts', what: 'send the 100 when the body is complete', find: 'if (request.readableLength === 0 && !request.complete) {', replace: 'if (request.readableLength === 0 || !request.complete) {', tests: ['continue-edges.test.ts', 'http1.test.ts', 'connection-desync.test.ts'] },
  { id: 'C3', file: 'plugin/continue.ts', what: 'send the 100 after the final answer began', find: 'response === undefined || response.headersSent || response.writableEnded) return', replace: 'response === undefined) return', tests: ['continue-edges.test.ts', 'http1.test.ts'] },
  { id: 'C4', file: 'plugin/continue.ts', what: 'never call settle', find: '  if (state.verdict !== \'pending\') return', replace: '  if (state.verdict !== \'never\' as string) return', tests: ['decision-channel.test.ts', 'http1.test.ts', 'metrics-example.test.ts'] },
  { id: 'C5', file: 'plugin/continue.ts', what: 'settle twice (no pending check)', find: '  if (state.verdict !== \'pending\') return', replace: '  if (state.verdict === \'never\' as string) return', tests: ['decision-channel.test.ts', 'http1.test.ts', 'metrics-example.test.ts'] },
  { id: 'C6', file: 'plugin/continue.ts', what: 'a 400 before the body is not a refusal (`>=` to `>`)', find: "settle(request, state, status >= 400 ? 'refused'", replace: "settle(request, state, status > 400 ? 'refused'", tests: ['decision-channel.test.ts', 'http1.test.ts'] },
  { id: 'C7', file: 'plugin/continue.ts', what: 'the reason set by a rule is overwritten', find: 'state.reason ??= reason', replace: 'state.reason = reason ?? state.reason', tests: ['decision-channel.test.ts', 'http1.test.ts'] },
  { id: 'C8', file: 'plugin/continue.ts', what: 'continueSent never set', find: 'state.continueSent = true', replace: 'state.continueSent = false', tests: ['http1.test.ts'] },
  { id: 'C9', file: 'plugin/continue.ts', what: 'the own _read stays after the first read', find: 'this._read = read', replace: 'void read', tests: ['http1.test.ts'], equivalent: 'later reads call sendContinue again, which returns at once: the verdict is no longer pending' },

  // decide.ts: the pure decision
  { id: 'D1', file: 'plugin/decide.ts', what: 'ignore HTTP/1.0 no more', find: 'if (head.httpVersionMajor === 1 && head.httpVersionMinor === 0) return IGNORE', replace: 'if (head.httpVersionMajor === 1 && head.httpVersionMinor === 9) return IGNORE', tests: ['decide.test.ts', 'http1.test.ts'] },
  { id: 'D2', file: 'plugin/decide.ts', what: 'unsupported expectations accepted', find: "if (field.kind === 'unsupported') return reject(", replace: "if (field.kind === 'unsupported' && field.expectations.length < 0) return reject(", tests: ['http1.test.ts', 'decide.test.ts'] },
  { id: 'D3', file: 'plugin/decide.ts', what: 'Content-Length with Transfer-Encoding accepted', find: 'if (chunked && length !== undefined) return', replace: 'if (chunked && length === -1) return', tests: ['decide.test.ts', 'connection-desync.test.ts'] },
  { id: 'D4', file: 'plugin/decide.ts', what: 'no body framed still waits', find: "action: framing.hasBody ? 'wait' : 'no-body'", replace: "action: framing.hasBody ? 'wait' : 'wait'", tests: ['http1.test.ts', 'decide.test.ts'] },
  { id: 'D5', file: 'plugin/decide.ts', what: 'declared media types not checked', find: 'const declared = rules.contentTypes !== undefined || rules.schemaContentTypes !== undefined', replace: 'const declared = rules.contentTypes === null', tests: ['http1.test.ts', 'decide.test.ts'] },
  { id: 'D6', file: 'plugin/decide.ts', what: 'body limit: `>` to `>=`', find: 'declaredLength > rules.bodyLimit', replace: 'declaredLength >= rules.bodyLimit', tests: ['decide.test.ts', 'http1.test.ts'] },
  { id: 'D7', file: 'plugin/decide.ts', what: 'checkRules returns PASS for the body limit', find: "return reject('body-limit', new FST_ERR_CTP_BODY_TOO_LARGE())", replace: 'return PASS', tests: ['http1.test.ts', 'decide.test.ts'] },
  { id: 'D8', file: 'plugin/decide.ts', what: 'Content-Length: 0 frames a body', find: 'length !== undefined && length > 0', replace: 'length !== undefined && length >= 0', tests: ['http1.test.ts', 'decide.test.ts'] },
  { id: 'D9', file: 'plugin/decide.ts', what: 'conflicting Content-Length values accepted', find: 'if (!values.every((v) => BigInt(v) === BigInt(values[0] as string))) return', replace: 'if (values.length < 0) return', tests: ['decide.test.ts'] },
  { id: 'D10', file: 'plugin/decide.ts', what: 'HTTP/2: END_STREAM ignored (length-less bodies seen as none)', find: 'if (head.httpVersionMajor === 2 && head.endStream !== undefined) return', replace: 'if (head.httpVersionMajor === 3 && head.endStream !== undefined) return', tests: ['decide.test.ts', 'node-clients.test.ts', 'http2-reset.test.ts'] },

  // route-rules.ts: the route's rules before the body
  { id: 'R1', file: 'plugin/route-rules.ts', what: 'drop `keepNoBody(reply)` on a rule refusal', find: 'keepNoBody(reply, linger)\n      done(error)', replace: 'void keepNoBody\n      done(error)', tests: ['http1.test.ts', 'connection-desync.test.ts'] },
  { id: 'R2', file: 'plugin/route-rules.ts', what: 'skip header validation', find: 'if (state !== undefined && policy.headers) {', replace: 'if (state !== undefined && !policy.headers) {', tests: ['http1.test.ts', 'ecosystem-typebox.test.ts'] },
  { id: 'R3', file: 'plugin/route-rules.ts', what: 'sendContinue after-checks ignored', find: 'if (state !== undefined && policy.sendContinue === \'after-checks\') sendContinue(raw, state, settled)', replace: 'void settled', tests: ['http1.test.ts'] },
  { id: 'R4', file: 'plugin/route-rules.ts', what: 'length-less bodies not cut at the limit', find: 'done(null, policy.bodyLimit !== undefined && framing.length === undefined ? limited(', replace: 'done(null, policy.bodyLimit === -1 && framing.length === undefined ? limited(', tests: ['route-rules-edges.test.ts', 'http1.test.ts', 'http2-reset.test.ts'] },
  { id: 'R5', file: 'plugin/route-rules.ts', what: 'streamed limit: `<=` to `<`', find: 'if (received <= limit) {', replace: 'if (received < limit) {', tests: ['route-rules-edges.test.ts', 'http1.test.ts'] },
  { id: 'R6', file: 'plugin/route-rules.ts', what: 'config.expect.check never called', find: 'if (policy.check === undefined) {', replace: 'if (policy.check === undefined || hook !== undefined) {', tests: ['http1.test.ts'] },
  { id: 'R7', file: 'plugin/route-rules.ts', what: 'a rejecting async check lets the upload in', find: "if (isThenable(result)) result.then(proceed, (error: unknown) => { refuse('check', toError(error)) })", replace: 'if (isThenable(result)) result.then(proceed, proceed)', tests: ['http1.test.ts'] },
  { id: 'R8', file: 'plugin/route-rules.ts', what: 'the route bodyLimit not taken', find: 'bodyLimit: route.bodyLimit ?? undefined,', replace: 'bodyLimit: undefined,', tests: ['http1.test.ts'] },
  { id: 'R9', file: 'plugin/route-rules.ts', what: 'late onRoute changes not honoured (no install in the getter)', find: '      install()\n      return hooks', replace: '      return hooks', tests: ['registration.test.ts'] },
  { id: 'R10', file: 'plugin/route-rules.ts', what: 'after-checks alone declares no rule', find: "policy.check !== undefined || policy.sendContinue === 'after-checks'", replace: 'policy.check !== undefined', tests: ['http1.test.ts', 'options.test.ts'] },
  { id: 'R11', file: 'plugin/route-rules.ts', what: 'rules applied to requests without a body', find: "if (policy === undefined || typeof framing === 'string' || !framing.hasBody) {", replace: "if (policy === undefined || typeof framing === 'string') {", tests: ['route-rules-edges.test.ts', 'http1.test.ts'] },
  { id: 'R12', file: 'plugin/route-rules.ts', what: 'a check that answers itself is not reported as check', find: 'if (state !== undefined) state.reason = \'check\'\n', replace: 'void state\n', tests: ['decision-channel.test.ts', 'http1.test.ts'] },

  // not-found.ts
  { id: 'N1', file: 'plugin/not-found.ts', what: 'remove the not-found hook', find: 'return { ...own, preParsing: [...hooks, fastifyExpectNotFound] }', replace: 'return { ...own, preParsing: hooks }', tests: ['decision-channel.test.ts', 'http1.test.ts'] },
  { id: 'N2', file: 'plugin/not-found.ts', what: 'an async not-found handler\'s value is dropped', find: 'result.then((value) => { if (value !== undefined && !reply.sent) reply.send(value) }', replace: 'result.then(() => {}', tests: ['http1.test.ts'] },

  // pipeline.ts
  { id: 'P1', file: 'plugin/pipeline.ts', what: 'a complete body keeps Node closing the connection', find: 'if (!res.headersSent) res._expect_continue = false', replace: 'if (!res.headersSent) res._expect_continue = res._expect_continue', tests: ['continue-edges.test.ts', 'http1.test.ts', 'connection-desync.test.ts'] },
  { id: 'P2', file: 'plugin/pipeline.ts', what: 'held requests run although the connection ends', find: 'if (res._last || socket.destroyed || socket.parser !== hold.parser || hold.parser.onIncoming !== hold.onIncoming) {', replace: 'if (socket.destroyed || socket.parser !== hold.parser || hold.parser.onIncoming !== hold.onIncoming) {', tests: ['connection-desync.test.ts'] },
  { id: 'P3', file: 'plugin/pipeline.ts', what: 'the socket is not paused while requests are held', find: '      stopReading(socket)\n      return 0', replace: '      return 0', tests: ['connection-pipeline.test.ts'] },
  { id: 'P4', file: 'plugin/pipeline.ts', what: 'an upgrade is held too', find: 'if ((request as { upgrade?: boolean }).upgrade !== true) return false', replace: 'return false', tests: ['connection-pipeline.test.ts'] },
  { id: 'P5', file: 'plugin/pipeline.ts', what: 'the paused socket is never resumed', find: 'if (hold.queue.length === 0 && socket._paused !== true && !socket.destroyed) socket.resume()', replace: 'void 0', tests: ['connection-desync.test.ts', 'connection-pipeline.test.ts'], equivalent: 'Node resumes a paused socket itself (socketOnDrain) as soon as the held requests\' responses are written' },

  // linger.ts
  { id: 'L1', file: 'plugin/linger.ts', what: 'lingerBytes ignored', find: 'if (bytes > options.lingerBytes) socket.destroy()', replace: 'if (bytes < 0) socket.destroy()', tests: ['connection-linger.test.ts'] },
  { id: 'L2', file: 'plugin/linger.ts', what: 'lingerTimeout never closes', find: 'timers.set(socket, setTimeout(() => socket.destroy(), lingerBound(socket)))\n  }', replace: 'timers.set(socket, setTimeout(() => undefined, lingerBound(socket)))\n  }', tests: ['connection-linger.test.ts'] },
  { id: 'L3', file: 'plugin/linger.ts', what: 'maxLingeringSockets: `>=` to `>`', find: 'timers.size >= options.maxLingeringSockets', replace: 'timers.size > options.maxLingeringSockets', tests: ['connection-linger.test.ts'] },
  { id: 'L4', file: 'plugin/linger.ts', what: 'complete bodies linger too', find: 'if (incoming == null || incoming.complete || !this.readable', replace: 'if (incoming == null || !this.readable', tests: ['connection-linger.test.ts'], equivalent: 'Node clears parser.incoming once the request is complete, so `incoming == null` already covers it' },
  { id: 'L5', file: 'plugin/linger.ts', what: 'no half-close after the response', find: 'if (socket.writable) socket.end()', replace: 'if (socket.writable) void socket', tests: ['connection-linger.test.ts'] },
  { id: 'L6', file: 'plugin/linger.ts', what: 'close(force) does not destroy', find: 'if (force) socket.destroy()', replace: 'if (force) void socket', tests: ['connection-linger.test.ts'], equivalent: 'force is forceCloseConnections: true, with which Fastify destroys every connection (lingering ones too) right after preClose' },

  // stream-reset.ts
  { id: 'H1', file: 'plugin/stream-reset.ts', what: 'HTTP/2: the stream is still read after the answer', find: '  stopReading(stream)\n', replace: '', tests: ['http2-flow.test.ts'] },
  { id: 'H2', file: 'plugin/stream-reset.ts', what: 'HTTP/2: no reset after the delay', find: 'stream.close(constants.NGHTTP2_NO_ERROR)\n    stream.destroy()', replace: 'void constants', tests: ['http2-reset.test.ts'] },

  // index.ts
  { id: 'I1', file: 'plugin/index.ts', what: 'extra listen() bindings not wired', find: 'if (!isWired(server as EventEmitter)) wireServer(', replace: 'if (isWired(server as EventEmitter)) wireServer(', tests: ['registration.test.ts'] },
  { id: 'I2', file: 'plugin/index.ts', what: 'preClose does not stop lingering', find: 'linger.close(this.initialConfig.forceCloseConnections === true)', replace: 'void linger', tests: ['connection-linger.test.ts'] },
  { id: 'I3', file: 'plugin/index.ts', what: 'registration inside an encapsulated plugin accepted', find: "if ('server' in Object.getPrototypeOf(fastify)) {", replace: "if ('server' in Object.getPrototypeOf(fastify) && false) {", tests: ['registration.test.ts'] },

  // report.ts, header-schema.ts, expect-field.ts, media-type.ts
  { id: 'E1', file: 'plugin/report.ts', what: 'rejectionLogLevel ignored', find: 'log[level]({', replace: 'log.info({', tests: ['http1.test.ts', 'options.test.ts', 'registration.test.ts'] },
  { id: 'E2', file: 'plugin/report.ts', what: 'continued decisions published without status 100', find: "if (state.verdict === 'continued') return 100", replace: "if (state.verdict === 'never' as string) return 100", tests: ['decision-channel.test.ts', 'metrics-example.test.ts', 'http1.test.ts'] },
  { id: 'E3', file: 'plugin/header-schema.ts', what: 'the header validator gets the request\'s own headers', find: 'const headers = { ...request.headers }', replace: 'const headers = request.headers', tests: ['http1.test.ts'] },
  { id: 'E4', file: 'plugin/expect-field.ts', what: 'expectations compared case-sensitively', find: 'const element = text.slice(start, this.pos).toLowerCase()', replace: 'const element = text.slice(start, this.pos)', tests: ['expect-field.test.ts'] },
  { id: 'E5', file: 'plugin/expect-field.ts', what: 'an empty list means 100-continue', find: 'return sawContinue ? CONTINUE : NONE', replace: 'return CONTINUE', tests: ['expect-field.test.ts'] },
  { id: 'E6', file: 'plugin/media-type.ts', what: 'a `type/*` range matches only itself', find: "(range.subtype === '*' || range.subtype === media.subtype))", replace: '(range.subtype === media.subtype))', tests: ['media-type.test.ts', 'http1.test.ts'] }
]
