// @ts-check
// `npm run test:matrix` (first half): the suite on the Node running this script and on the
// newest Node 22, 24 and 26 from the npm registry (see node-binaries.js). NODE_MATRIX=22,24
// picks majors; MATRIX_SKIP_INSTALLED=1 leaves out the installed Node (CI: `npm test` has just run
// the whole suite on it). Exit 1 if any run fails.
'use strict'
const { nodeBinary } = require('./node-binaries')
const { runSuite, summarize } = require('./suite')

const MAJORS = (process.env.NODE_MATRIX ?? '22,24,26').split(',').map(Number).filter(Boolean)

async function main () {
  const runs = process.env.MATRIX_SKIP_INSTALLED === '1' ? [] : [await runSuite({ label: `Node ${process.version} (installed)`, node: process.execPath })]
  for (const major of MAJORS) {
    let binary
    try {
      binary = nodeBinary(major)
    } catch (err) {
      runs.push({ label: `Node ${major}`, ok: false, seconds: 0, error: `could not fetch it: ${/** @type {Error} */ (err).message.split('\n')[0]}` })
      continue
    }
    runs.push(await runSuite({ label: `Node v${binary.version}`, node: binary.node }))
  }
  if (!summarize('Node matrix', runs)) process.exitCode = 1
}

main()
