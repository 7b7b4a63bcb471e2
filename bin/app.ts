/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`): the vending stack, checked by cdk-nag's AWS
 * Solutions rules. Configuration comes from CDK context; see `cdk.json` and docs/deploy.md.
 *
 * The handler bundle is rebuilt first (bin/build-handler.ts), so what deploys is the code in the tree,
 * packaged exactly as the published construct ships it.
 */
import { InvalidVendingConfigError } from '../lib/config-error.js';
import { createApp } from '../lib/create-app.js';
import { nagSummary } from '../lib/nag-summary.js';
import { buildHandlerBundle } from './build-handler.js';

await buildHandlerBundle();
try {
  const { app, nag } = createApp();
  app.synth();
  // Synthesis fails on any unacknowledged finding, so reaching here means none; say so, and how many
  // were acknowledged (each with its reason, see lib/nag-acknowledgements.ts).
  console.error(nagSummary(app, nag));
} catch (error) {
  // A configuration mistake gets one clear line, not a stack trace; anything else is a bug.
  if (!(error instanceof InvalidVendingConfigError)) throw error;
  console.error(`Invalid configuration: ${error.message}`);
  process.exitCode = 1;
}
