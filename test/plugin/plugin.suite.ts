// npm test runs these test files in one process (test/helpers/suite.ts): the plugin's, and those
// of the folders below without a suite of their own (all but connection/). The APM SDKs' test
// (Sentry, OpenTelemetry, dd-trace) drives foreign packages: npm run test:interop runs it.
import { runFolder } from '../helpers/suite'

runFolder(__dirname, ['ecosystem/instrumentation.test.ts'])
