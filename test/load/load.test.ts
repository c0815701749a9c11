// A small version of test/load.js: 100 concurrent connections doing
// expectation uploads (accepted, refused before the body, refused while the
// client sends anyway), against the plugin's source. Every client gets its
// status with no reset, no socket stays open, the heap comes back.
import t from 'tap'
import Fastify from 'fastify'
import { expectPlugin } from '../helpers/server'
import { runLoad } from './load.js'

t.test('100 connections, 2 000 uploads', async (t) => {
  const figures = await runLoad({ Fastify, plugin: expectPlugin, connections: 100, requests: 2000 })
  t.comment(JSON.stringify(figures))
  t.same(figures.problems, [], 'no problem')
  t.equal(figures.requests, 2000)
  t.equal(figures.unexpected, 0)
  t.equal(figures.resets, 0)
  t.equal(figures.openAfter, 0, 'no socket left open')
  t.same(figures.statuses, { 200: 667, 413: 667, 415: 333, 401: 333 }, 'each kind got its status')
  t.ok(figures.continues > 0 && figures.continues <= 667, 'a 100 for accepted uploads only')
  t.ok(figures.ok)
})
