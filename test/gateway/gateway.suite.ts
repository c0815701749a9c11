// npm test runs this folder's test files in one process: test/helpers/suite.ts.
import { runFolder } from '../helpers/suite'

runFolder(__dirname)
