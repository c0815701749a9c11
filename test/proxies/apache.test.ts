// The example app behind apache (Debian's package), with and without fastify-expect: see helpers/proxy-run.ts.
import t from 'tap'
import { PROXIES } from '../helpers/proxies'
import { proxySuite } from '../helpers/proxy-run'

proxySuite(t, PROXIES.apache)
