/**
 * The CDK app (`npx cdk synth`, `npx cdk deploy`): the vending stack, checked by cdk-nag's AWS
 * Solutions rules. Configuration comes from CDK context; see `cdk.json` and the README.
 */
import { InvalidVendingConfigError } from '../lib/config-error.js';
import { createApp } from '../lib/create-app.js';

try {
  createApp().app.synth();
} catch (error) {
  // A configuration mistake gets one clear line, not a stack trace; anything else is a bug.
  if (!(error instanceof InvalidVendingConfigError)) throw error;
  console.error(`Invalid configuration: ${error.message}`);
  process.exitCode = 1;
}
