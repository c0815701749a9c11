// npm test runs this folder's test files in one process: test/helpers/suite.ts.
import { runFolder } from '../../helpers/suite'

// The APM SDKs' test (Sentry, OpenTelemetry, dd-trace) drives foreign packages: npm run test:interop.
runFolder(__dirname, ['instrumentation.test.ts'])
