/**
 * Builds the CDK app exactly as `bin/app.ts` runs it — stack plus cdk-nag — so tests check the
 * same thing `cdk synth` produces.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidVendingConfigError, describeReceived } from './config-error.js';
import { MqttUrlVendingStack } from './mqtt-url-vending-stack.js';

/** Default stack name; override with context `stackName`. */
export const DEFAULT_STACK_NAME = 'MqttUrlVending';

/** What {@link createApp} returns. */
export interface VendingApp {
  /** The app (call `synth()` to produce the cloud assembly). */
  readonly app: App;
  /** The vending stack. */
  readonly stack: MqttUrlVendingStack;
  /** The cdk-nag pack registered as a validation plugin; `validateScope(app)` reports findings. */
  readonly nag: AwsSolutionsChecks;
}

/**
 * Creates the app, the vending stack (named by context `stackName`, default
 * {@link DEFAULT_STACK_NAME}) and registers cdk-nag's AWS Solutions checks as a validation plugin,
 * which fails synthesis on any unacknowledged finding.
 */
export function createApp(props?: AppProps): VendingApp {
  // `bin/app.ts` synthesizes explicitly; no auto-synth at exit, so a configuration error thrown
  // while building the stack never leaves a half-built cloud assembly behind.
  const app = new App({ autoSynth: false, ...props });
  const stackName: unknown = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  if (typeof stackName !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new InvalidVendingConfigError('context "stackName"', 'must be a CloudFormation stack name (letters, digits and hyphens, starting with a letter)', describeReceived(stackName));
  }
  const stack = new MqttUrlVendingStack(app, stackName, {
    description: 'aws-signv4-mqtt: JWT-authorized API (Cognito user pool or OIDC issuer) vending presigned AWS IoT MQTT-over-WebSocket URLs',
  });
  const nag = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(nag);
  return { app, stack, nag };
}
